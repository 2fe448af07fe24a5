package io.micromesh.jobs.kafka;

import io.micromesh.core.config.KafkaSettings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The topics of batch work over Kafka and the client settings every producer, consumer and admin
 * client starts from: the bootstrap servers and the {@code kafka.client} settings of the
 * configuration (security, SASL, TLS), passed through unchanged.
 *
 * <ul>
 *   <li>{@code PREFIX.items}: one record per item to run, keyed {@code JOB/LINE};</li>
 *   <li>{@code PREFIX.results}: one committed record per item run, keyed the same;</li>
 *   <li>{@code PREFIX.jobs}: compacted, one record per job once its items are published.</li>
 * </ul>
 */
public final class Topics {

    private final KafkaSettings settings;
    private final String bootstrap;

    public Topics(KafkaSettings settings, String bootstrap) {
        this.settings = settings;
        this.bootstrap = bootstrap;
    }

    public KafkaSettings settings() {
        return settings;
    }

    public String bootstrap() {
        return bootstrap;
    }

    /** A client's settings: the passed-through ones, the bootstrap servers, then {@code own}. */
    public Map<String, Object> client(Map<String, Object> own) {
        Map<String, Object> props = new HashMap<>(settings.client());
        props.put("bootstrap.servers", bootstrap);
        props.putAll(own);
        return props;
    }

    /**
     * Creates the three topics when they do not exist (partitions and replication of the settings;
     * the jobs topic compacted).
     *
     * @throws IllegalStateException when the cluster cannot be reached within 30 seconds
     */
    public void ensure() {
        try (Admin admin = Admin.create(client(Map.of("request.timeout.ms", 15_000, "default.api.timeout.ms", 30_000)))) {
            short replication = settings.replication().shortValue();
            List<NewTopic> topics = List.of(
                    new NewTopic(settings.itemsTopic(), settings.partitions(), replication),
                    new NewTopic(settings.resultsTopic(), settings.partitions(), replication),
                    new NewTopic(settings.jobsTopic(), 1, replication).configs(Map.of("cleanup.policy", "compact")));
            for (var created : admin.createTopics(topics).values().values()) {
                try {
                    created.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create the topics at " + bootstrap + ": "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("the Kafka cluster at " + bootstrap + " did not answer within 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
