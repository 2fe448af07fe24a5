package io.micromesh.server;

import io.micromesh.store.Budgets;
import io.micromesh.store.KeyStore;
import io.micromesh.store.Ledger;

/**
 * What the gateway keeps about its callers in its store: the usage ledger, the API keys and their
 * budgets and limits, the files they uploaded and the batches they run.
 */
record Accounts(Ledger ledger, KeyStore keys, Budgets budgets, io.micromesh.store.FileStore files,
                io.micromesh.store.BatchStore batches, io.micromesh.store.DocumentIndex documents,
                io.micromesh.store.ResponseStore responses) {
}
