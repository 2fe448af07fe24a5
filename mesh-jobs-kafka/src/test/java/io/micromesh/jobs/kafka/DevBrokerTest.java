package io.micromesh.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The development broker: transactions work on its one node, and it keeps its data across a restart. */
@Timeout(120)
class DevBrokerTest {

    @TempDir
    Path dir;

    @Test
    void aCommittedTransactionIsReadAndAnAbortedOneIsNotAcrossARestart() throws Exception {
        int port;
        try (DevBroker broker = DevBroker.start(0, dir)) {
            port = broker.port();
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrap(),
                    "transactional.id", "t-" + UUID.randomUUID()), new StringSerializer(), new StringSerializer())) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("dev", "k", "committed"));
                producer.commitTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("dev", "k", "aborted"));
                producer.flush();
                producer.abortTransaction();
            }
        }
        try (DevBroker again = DevBroker.start(port, dir);
             KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", again.bootstrap(),
                     "group.id", "g", "auto.offset.reset", "earliest", "isolation.level", "read_committed"),
                     new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("dev"));
            List<String> seen = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (seen.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    seen.add(r.value());
                }
            }
            assertThat(seen).containsExactly("committed");
        }
    }
}
