package io.micromesh.server;

import io.micromesh.core.config.ServerSettings;

/**
 * How long a client's connection may spend in each phase that waits on the client.
 *
 * @param idleMs   between requests
 * @param headerMs from the first byte of a request to the end of its headers
 * @param bodyMs   while a handler reads the request's body
 */
record EdgeTimeouts(long idleMs, long headerMs, long bodyMs) {

    static EdgeTimeouts of(ServerSettings settings) {
        return new EdgeTimeouts(settings.idleTimeoutMs(), settings.headerTimeoutMs(), settings.bodyTimeoutMs());
    }
}
