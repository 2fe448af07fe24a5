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
import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

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
     * Reads the committed records of {@code topic} from its beginning to its end as it is now, each
     * handed to {@code each} (the jobs topic is compacted and small; the results topic is read whole
     * only by {@code mesh batch status}).
     *
     * @throws IllegalStateException when the topic does not exist
     */
    public void readAll(String topic, java.util.function.Consumer<ConsumerRecord<String, String>> each) {
        try (KafkaConsumer<String, String> reader = new KafkaConsumer<>(client(Map.of("isolation.level", "read_committed",
                "enable.auto.commit", "false", "max.poll.records", 5000)), new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = partitions(reader, topic);
            reader.assign(partitions);
            reader.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = reader.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> reader.position(p) < end.get(p))) {
                for (ConsumerRecord<String, String> r : reader.poll(Duration.ofMillis(200))) {
                    each.accept(r);
                }
            }
        }
    }

    /** The partitions of a topic. */
    static List<TopicPartition> partitions(KafkaConsumer<String, String> consumer, String topic) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("the topic " + topic + " does not exist: no job was published with this prefix");
        }
        return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
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
