/** Batch work over Kafka: worker, job publishing and collecting, the development broker. */
package io.micromesh.jobs.kafka;
