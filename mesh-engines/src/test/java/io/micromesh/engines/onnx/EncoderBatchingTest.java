package io.micromesh.engines.onnx;

import static io.micromesh.testkit.Vectors.cosine;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The encoder's micro-batching with the real model: batches form under concurrency, and each caller gets its own text's vector. */
@Timeout(120)
class EncoderBatchingTest {

    @Test
    void concurrentShortTextsAreBatchedAndEachCallerGetsItsOwnVector() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            texts.add((i % 2 == 0 ? "where is my parcel number " : "I was charged twice for order ") + i);
        }
        float[][] alone;
        try (EncoderBackend unbatched = EncoderBackend.load("minilm", new EncoderBackend.Batching(1, Duration.ZERO, 32))) {
            alone = texts.stream().map(unbatched::embed).toArray(float[][]::new);
            assertThat(unbatched.batchesAndTexts()).containsExactly(64, 64);
        }
        try (EncoderBackend batched = EncoderBackend.load("minilm", EncoderBackend.Batching.DEFAULT);
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<float[]>> futures = new ArrayList<>();
            for (String text : texts) {
                futures.add(CompletableFuture.supplyAsync(() -> batched.embed(text), callers));
            }
            for (int i = 0; i < texts.size(); i++) {
                float[] vector = futures.get(i).get();
                assertThat(cosine(vector, alone[i])).as(texts.get(i)).isGreaterThan(0.97);
                // and closer to its own text than to the other kind
                assertThat(cosine(vector, alone[i])).isGreaterThan(cosine(vector, alone[(i + 1) % texts.size()]));
            }
            long[] counts = batched.batchesAndTexts();
            assertThat(counts[1]).isEqualTo(64);
            assertThat(counts[0]).as("64 concurrent texts in fewer runs").isLessThan(64);
        }
    }

    @Test
    void aLongTextRunsAloneAndIsTheSameAsUnbatched() {
        String passage = "The customer called about a delayed delivery. ".repeat(20);
        try (EncoderBackend batched = EncoderBackend.load("minilm", EncoderBackend.Batching.DEFAULT);
             EncoderBackend unbatched = EncoderBackend.load("minilm", new EncoderBackend.Batching(1, Duration.ZERO, 32))) {
            assertThat(batched.embed(passage)).containsExactly(unbatched.embed(passage));
        }
    }
}
