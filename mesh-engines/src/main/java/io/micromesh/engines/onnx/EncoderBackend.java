package io.micromesh.engines.onnx;

import io.micromesh.core.MeshException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.EmbeddingRequest;
import io.micromesh.api.Json;
import io.micromesh.api.MeshRequest;
import io.micromesh.core.dispatch.MicroBatcher;
import io.micromesh.core.spi.Backend;
import io.micromesh.core.spi.BackendHealth;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ChunkSink;
import io.micromesh.core.spi.TextEncoder;
import io.micromesh.core.spi.Usage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * An {@code engine: onnx} model: {@code /v1/embeddings} answered in-process by {@link MiniLmEncoder}.
 * Every text — of embedding requests and of the router — goes through one {@link MicroBatcher}
 * whose worker is the encoder's native platform thread (never a virtual thread's carrier; callers
 * wait unmounted). ONNX Runtime spreads each run over every core itself (intra-op threads = cores),
 * so runs are queued rather than run side by side. Texts of at most {@code batch-max-tokens}
 * (estimated at four characters per token) that arrive while a run is under way are gathered into
 * one padded run per length bucket (8, 16, 32 ... tokens), up to {@code max-batch}; longer texts run
 * alone, since a padded batch of long passages gains nothing on a compute-bound CPU (measured about
 * 1.0x for 126 tokens). With {@code max-wait-ms} 0 (the default) a lone text never waits. A text's
 * vector in a batch differs slightly from its vector alone (cosine about 0.99: the quantized graph
 * scales activations per tensor); {@code max-batch: 1} keeps every vector independent of its
 * neighbours. Thread-safe.
 */
public final class EncoderBackend implements Backend, TextEncoder {

    /** How texts are batched. */
    public record Batching(int maxBatch, Duration maxWait, int maxTokens) {
        /** The defaults: batches of up to 16 texts of at most 32 tokens, never waiting. */
        public static final Batching DEFAULT = new Batching(16, Duration.ZERO, 32);
    }

    /** A text to embed; {@code cut}: cut to the encoder's limit rather than refused (the router's texts). */
    private record Item(String text, boolean cut) {
    }

    /** A text's vector and token count, or why it was refused. */
    private record Embedded(float[] vector, long tokens, RuntimeException error) {
    }

    private final String modelId;
    private final MiniLmEncoder encoder;
    private final Batching batching;
    private final MicroBatcher<Item, Embedded> batcher;

    private EncoderBackend(String modelId, MiniLmEncoder encoder, Batching batching) {
        this.modelId = modelId;
        this.encoder = encoder;
        this.batching = batching;
        this.batcher = new MicroBatcher<>(new MicroBatcher.Settings(batching.maxBatch(), batching.maxWait()),
                this::bucket, this::run, System::nanoTime, Thread.ofPlatform().name("onnx-" + modelId).daemon().factory());
    }

    /** Loads the bundled all-MiniLM-L6-v2 for the model {@code modelId}, batching with the defaults. */
    public static EncoderBackend load(String modelId) {
        return load(modelId, Batching.DEFAULT);
    }

    /** Loads the bundled all-MiniLM-L6-v2 for the model {@code modelId}, using every core for each run. */
    public static EncoderBackend load(String modelId, Batching batching) {
        int cores = Runtime.getRuntime().availableProcessors();
        return new EncoderBackend(modelId, MiniLmEncoder.loadBundled(cores), batching);
    }

    /** Runs and texts embedded so far: their ratio is the mean batch size. */
    public long[] batchesAndTexts() {
        return new long[] {batcher.batches(), batcher.items()};
    }

    @Override
    public BackendReply call(MeshRequest request) {
        if (!(request instanceof EmbeddingRequest embedding)) {
            throw MeshException.unsupported("model", "'" + modelId + "' is an encoder: it serves /v1/embeddings only.");
        }
        if (embedding.tokenIds()) {
            throw MeshException.unsupported("input", "'" + modelId + "' takes text input, not token ids.");
        }
        embedding.dimensions().ifPresent(d -> {
            if (d != MiniLmEncoder.DIMENSIONS) {
                throw MeshException.unsupported("dimensions", "'" + modelId + "' returns "
                        + MiniLmEncoder.DIMENSIONS + " dimensions and cannot shorten them; got " + d + ".");
            }
        });
        List<String> texts = embedding.texts();
        List<Embedded> results = batcher.submitAll(texts.stream().map(t -> new Item(t, false)).toList());
        float[][] vectors = new float[results.size()][];
        long total = 0;
        for (int i = 0; i < results.size(); i++) {
            Embedded e = results.get(i);
            if (e.error() != null) {
                String param = texts.size() == 1 ? "input" : "input[" + i + "]";
                throw MeshException.invalid(param, "context_length_exceeded", "'" + param + "' " + e.error().getMessage());
            }
            vectors[i] = e.vector();
            total += e.tokens();
        }
        return new BackendReply(body(vectors, embedding.base64(), total), new Usage(total, 0));
    }

    /** Embeds one text for the router, cut to the encoder's 512 tokens rather than refused. */
    @Override
    public float[] embed(String text) {
        return batcher.submit(new Item(text, true)).vector();
    }

    /** The length bucket of a text, from its length in characters (about four per token). */
    private int bucket(Item item) {
        int estimate = item.text().length() / 4 + 2;
        if (batching.maxBatch() == 1 || estimate > batching.maxTokens()) {
            return MicroBatcher.ALONE;
        }
        return Integer.highestOneBit(Math.max(8, estimate) - 1) << 1;
    }

    /** Tokenizes and embeds one batch, on the native thread. */
    private List<Embedded> run(List<Item> items) {
        long[][] tokens = encoder.tokenize(items.stream().map(Item::text).toList());
        List<Embedded> results = new java.util.ArrayList<>(java.util.Collections.nCopies(items.size(), null));
        List<long[]> runnable = new java.util.ArrayList<>();
        List<Integer> where = new java.util.ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            long[] t = tokens[i];
            if (t.length > MiniLmEncoder.MAX_TOKENS) {
                if (!items.get(i).cut()) {
                    results.set(i, new Embedded(null, t.length, new IllegalArgumentException("has " + t.length
                            + " tokens; '" + modelId + "' takes at most " + MiniLmEncoder.MAX_TOKENS
                            + " per input. Split the text.")));
                    continue;
                }
                t = java.util.Arrays.copyOf(t, MiniLmEncoder.MAX_TOKENS);
            }
            runnable.add(t);
            where.add(i);
        }
        if (!runnable.isEmpty()) {
            float[][] vectors = runnable.size() == 1 ? encoder.embed(new long[][] {runnable.getFirst()})
                    : encoder.embedTogether(runnable);
            for (int k = 0; k < vectors.length; k++) {
                results.set(where.get(k), new Embedded(vectors[k], runnable.get(k).length, null));
            }
        }
        return results;
    }

    private ObjectNode body(float[][] vectors, boolean base64, long tokens) {
        ObjectNode body = Json.object();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        for (int i = 0; i < vectors.length; i++) {
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", i);
            if (base64) {
                item.put("embedding", base64(vectors[i]));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float v : vectors[i]) {
                    values.add(v);
                }
            }
        }
        body.put("model", modelId);
        body.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return body;
    }

    /** OpenAI's base64 form: the float32 values, little-endian, base64-encoded. */
    static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    @Override
    public Usage stream(MeshRequest request, ChunkSink sink) {
        throw MeshException.unsupported("stream", "'" + modelId + "' is an encoder: embeddings are not streamed.");
    }

    @Override
    public BackendHealth health() {
        return BackendHealth.ready("all-MiniLM-L6-v2 (quantized) loaded in-process");
    }

    @Override
    public void close() {
        batcher.close();
        encoder.close();
    }
}
