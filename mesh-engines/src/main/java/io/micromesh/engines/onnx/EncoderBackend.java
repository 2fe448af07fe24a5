package io.micromesh.engines.onnx;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.ApiException;
import io.micromesh.api.EmbeddingRequest;
import io.micromesh.api.Json;
import io.micromesh.api.MeshRequest;
import io.micromesh.core.spi.Backend;
import io.micromesh.core.spi.BackendException;
import io.micromesh.core.spi.BackendHealth;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ChunkSink;
import io.micromesh.core.spi.TextEncoder;
import io.micromesh.core.spi.Usage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * An {@code engine: onnx} model: {@code /v1/embeddings} answered in-process by {@link MiniLmEncoder}.
 * Native work runs on one platform thread, never on a virtual thread's carrier (the calling virtual
 * thread waits unmounted); ONNX Runtime spreads each call over every core itself, so calls are
 * queued rather than run side by side. Thread-safe.
 */
public final class EncoderBackend implements Backend, TextEncoder {

    private final String modelId;
    private final MiniLmEncoder encoder;
    private final ExecutorService nativeThreads;

    private EncoderBackend(String modelId, MiniLmEncoder encoder, ExecutorService nativeThreads) {
        this.modelId = modelId;
        this.encoder = encoder;
        this.nativeThreads = nativeThreads;
    }

    /** Loads the bundled all-MiniLM-L6-v2 for the model {@code modelId}, using every core for each call. */
    public static EncoderBackend load(String modelId) {
        int cores = Runtime.getRuntime().availableProcessors();
        ExecutorService pool = Executors.newFixedThreadPool(1, Thread.ofPlatform().name("onnx-" + modelId).daemon().factory());
        return new EncoderBackend(modelId, MiniLmEncoder.loadBundled(cores), pool);
    }

    @Override
    public BackendReply call(MeshRequest request) {
        if (!(request instanceof EmbeddingRequest embedding)) {
            throw ApiException.unprocessable("model", "'" + modelId + "' is an encoder: it serves /v1/embeddings only.");
        }
        if (embedding.tokenIds()) {
            throw ApiException.unprocessable("input", "'" + modelId + "' takes text input, not token ids.");
        }
        embedding.dimensions().ifPresent(d -> {
            if (d != MiniLmEncoder.DIMENSIONS) {
                throw ApiException.unprocessable("dimensions", "'" + modelId + "' returns "
                        + MiniLmEncoder.DIMENSIONS + " dimensions and cannot shorten them; got " + d + ".");
            }
        });
        Encoded encoded = onNativeThread(embedding.texts());
        return new BackendReply(body(encoded.vectors(), embedding.base64(), encoded.tokens()),
                new Usage(encoded.tokens(), 0));
    }

    private record Encoded(float[][] vectors, long tokens) {
    }

    private Encoded onNativeThread(List<String> texts) {
        Future<Encoded> work = nativeThreads.submit(() -> {
            long[][] tokens = encoder.tokenize(texts);
            long total = 0;
            for (int i = 0; i < tokens.length; i++) {
                if (tokens[i].length > MiniLmEncoder.MAX_TOKENS) {
                    String param = texts.size() == 1 ? "input" : "input[" + i + "]";
                    throw ApiException.invalidRequest(param, "context_length_exceeded", "'" + param + "' has "
                            + tokens[i].length + " tokens; '" + modelId + "' takes at most "
                            + MiniLmEncoder.MAX_TOKENS + " per input. Split the text.");
                }
                total += tokens[i].length;
            }
            return new Encoded(encoder.embed(tokens), total);
        });
        try {
            return work.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            work.cancel(true);
            Thread.currentThread().interrupt();
            throw BackendException.of(BackendException.Failure.UNAVAILABLE, "interrupted while encoding", e);
        }
    }

    /** Embeds one text for the router, cut to the encoder's 512 tokens rather than refused. */
    @Override
    public float[] embed(String text) {
        Future<float[]> work = nativeThreads.submit(() -> {
            long[] tokens = encoder.tokenize(List.of(text))[0];
            if (tokens.length > MiniLmEncoder.MAX_TOKENS) {
                tokens = java.util.Arrays.copyOf(tokens, MiniLmEncoder.MAX_TOKENS);
            }
            return encoder.embed(new long[][] {tokens})[0];
        });
        try {
            return work.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            work.cancel(true);
            Thread.currentThread().interrupt();
            throw BackendException.of(BackendException.Failure.UNAVAILABLE, "interrupted while encoding", e);
        }
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
        throw ApiException.unprocessable("stream", "'" + modelId + "' is an encoder: embeddings are not streamed.");
    }

    @Override
    public BackendHealth health() {
        return BackendHealth.ready("all-MiniLM-L6-v2 (quantized) loaded in-process");
    }

    @Override
    public void close() {
        nativeThreads.shutdownNow();
        encoder.close();
    }
}
