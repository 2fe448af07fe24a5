package io.micromesh.core.config;

import java.util.Map;

/**
 * The {@code kafka:} section: how {@code mesh worker} and batch jobs over Kafka use a cluster.
 *
 * @param topicPrefix          the topics are PREFIX.items, PREFIX.results and PREFIX.jobs (default {@code mesh})
 * @param partitions           partitions of the topics when micromesh creates them (default 12: at most
 *                             that many workers share a job)
 * @param replication          their replication factor when micromesh creates them (default 1; 3 on a
 *                             production cluster)
 * @param transactionTimeoutMs how long a worker's transaction may stay open; a killed worker's
 *                             unfinished results are aborted after it (default 10,000)
 * @param sessionTimeoutMs     how long a silent worker keeps its partitions before the group hands
 *                             them to the others (default 10,000)
 * @param client               Kafka client settings passed through unchanged to every producer,
 *                             consumer and admin client ({@code security.protocol}, {@code sasl.*},
 *                             {@code ssl.*} ...); write secrets as {@code ${ENV_VAR}}
 */
public record KafkaSettings(String topicPrefix, Integer partitions, Integer replication, Integer transactionTimeoutMs,
                            Integer sessionTimeoutMs, Map<String, String> client) {

    public KafkaSettings {
        topicPrefix = topicPrefix == null || topicPrefix.isBlank() ? "mesh" : topicPrefix;
        if (!topicPrefix.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new ConfigException("topic-prefix", "'" + topicPrefix + "' is not a topic name: letters, digits, . _ -");
        }
        partitions = Checks.between("partitions", partitions, 1, 10_000, 12);
        replication = Checks.between("replication", replication, 1, 32, 1);
        transactionTimeoutMs = Checks.between("transaction-timeout-ms", transactionTimeoutMs, 1_000, 900_000, 10_000);
        sessionTimeoutMs = Checks.between("session-timeout-ms", sessionTimeoutMs, 6_000, 300_000, 10_000);
        client = client == null ? Map.of() : Map.copyOf(client);
    }

    /** All defaults. */
    public static KafkaSettings defaults() {
        return new KafkaSettings(null, null, null, null, null, null);
    }

    public String itemsTopic() {
        return topicPrefix + ".items";
    }

    public String resultsTopic() {
        return topicPrefix + ".results";
    }

    public String jobsTopic() {
        return topicPrefix + ".jobs";
    }
}
