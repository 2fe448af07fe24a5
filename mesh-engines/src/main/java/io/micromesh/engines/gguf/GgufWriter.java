package io.micromesh.engines.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Writes a llama-architecture GGUF model with random weights, a byte-level vocabulary and a given
 * shape, so that tests need no downloads and benchmarks can measure model shapes that cannot be
 * fetched (a tiny one is a few hundred KB; Granite 3.x 2B's shape at Q4_0 about 1.4 GB). The output
 * is gibberish by design: use it for loading, tokenization, slots, streaming and speed, never
 * quality. Weights are generated and written block by block, so memory stays small whatever the
 * size.
 *
 * <p>The vocabulary is SentencePiece-style ({@code tokenizer.ggml.model = llama}) with only byte
 * tokens ({@code <0x00>}..{@code <0xFF>}), the specials {@code <unk> <s> </s>} and ChatML's
 * {@code <|im_start|> <|im_end|>}: every text tokenizes through byte fallback. The chat template is
 * ChatML.
 */
public final class GgufWriter {

    /** ChatML, which llama.cpp recognises by its markers. */
    public static final String CHAT_TEMPLATE = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static final int TOKEN_NORMAL_UNUSED = 1;
    private static final int TOKEN_UNKNOWN = 2;
    private static final int TOKEN_CONTROL = 3;
    private static final int TOKEN_BYTE = 6;

    /**
     * The shape of a llama-architecture model.
     *
     * @param layers      transformer blocks
     * @param width       embedding width
     * @param heads       attention heads
     * @param kvHeads     key-value heads (grouped-query attention when fewer than heads)
     * @param feedForward feed-forward width
     * @param context     context length the model declares
     * @param type        encoding of the matrices (norms are always F32)
     * @param experts     feed-forward experts per block (a mixture of experts), 0 for a dense model whose
     *                    one feed-forward is {@code feedForward} wide (each expert is, when there are experts)
     * @param expertsUsed experts each token goes through (0 for a dense model)
     */
    public record Shape(int layers, int width, int heads, int kvHeads, int feedForward, int context, GgmlType type,
                        int experts, int expertsUsed) {

        /** A dense model. */
        public Shape(int layers, int width, int heads, int kvHeads, int feedForward, int context, GgmlType type) {
            this(layers, width, heads, kvHeads, feedForward, context, type, 0, 0);
        }

        public Shape {
            if (layers < 1 || width < 1 || heads < 1 || kvHeads < 1 || feedForward < 1 || context < 1) {
                throw new IllegalArgumentException("every dimension of a shape is positive: " + this);
            }
            if (experts < 0 || expertsUsed < 0 || expertsUsed > experts || (experts > 0) != (expertsUsed > 0)) {
                throw new IllegalArgumentException("a mixture of experts uses from 1 to all of its experts: " + this);
            }
            if (width % heads != 0 || heads % kvHeads != 0) {
                throw new IllegalArgumentException("width must divide by heads and heads by kv heads: " + this);
            }
            if (width % type.blockValues() != 0 || feedForward % type.blockValues() != 0) {
                throw new IllegalArgumentException(type + " needs width and feed-forward width in multiples of "
                        + type.blockValues() + ": " + this);
            }
        }

        /** A model of a few hundred KB for tests. */
        public static Shape tiny(GgmlType type) {
            return new Shape(2, 64, 4, 2, 128, 512, type);
        }

        /**
         * IBM Granite 3.0 3B-A800M's shape, a mixture of experts: 32 blocks, 1536 wide, 24 heads, 8 KV
         * heads, 40 experts of 512 each, 8 used per token (about 3.3B weights, 800M used per token).
         */
        public static Shape granite3bMoe(GgmlType type) {
            return new Shape(32, 1536, 24, 8, 512, 4096, type, 40, 8);
        }

        /** IBM Granite 3.x 2B's shape: 40 blocks, 2048 wide, 32 heads, 8 KV heads, 8192 feed-forward. */
        public static Shape granite2b(GgmlType type) {
            return new Shape(40, 2048, 32, 8, 8192, 4096, type);
        }

        int kvWidth() {
            return width / heads * kvHeads;
        }
    }

    private record TensorSpec(String name, long[] dims, GgmlType type, boolean norm) {
        long values() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }
    }

    private GgufWriter() {
    }

    /** Ids of the vocabulary's special tokens: end of sequence, and the chat template's end of turn. */
    public static final List<Integer> END_TOKEN_IDS = List.of(2, 4);

    /** The id of the token of one byte (0-255) in the vocabulary. */
    public static int byteTokenId(int value) {
        if (value < 0 || value > 255) {
            throw new IllegalArgumentException("a byte is 0-255, got " + value);
        }
        return 5 + value;
    }

    /** The vocabulary's tokens, in id order. */
    public static List<String> vocabulary() {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
        }
        return tokens;
    }

    /**
     * Writes a random llama model of this shape.
     *
     * @param seed the same seed gives the same file
     */
    public static void writeRandomLlama(Path file, Shape shape, String name, long seed) {
        writeRandomLlama(file, shape, name, seed, CHAT_TEMPLATE);
    }

    /**
     * Writes a random model declaring another chat template, so that tests can exercise what
     * depends on a model family's template (IBM Granite's tool format, for example). The vocabulary
     * stays byte-level: the template's markers are spelled in bytes.
     *
     * @param chatTemplate the Jinja template stored as {@code tokenizer.chat_template}
     */
    public static void writeRandomLlama(Path file, Shape shape, String name, long seed, String chatTemplate) {
        List<String> vocabulary = vocabulary();
        List<TensorSpec> tensors = tensors(shape, vocabulary.size());
        Metadata meta = metadata(shape, name, vocabulary, chatTemplate);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Sink sink = new Sink(out);
            sink.int32(GgufFormat.MAGIC).int32(GgufFormat.VERSION).int64(tensors.size()).int64(meta.count);
            sink.raw(meta.bytes());
            long offset = 0;
            for (TensorSpec t : tensors) {
                sink.string(t.name()).int32(t.dims().length);
                for (long d : t.dims()) {
                    sink.int64(d);
                }
                sink.int32(t.type().id()).int64(offset);
                offset = align(offset + t.type().bytes(t.values()));
            }
            sink.padTo(align(sink.position));
            Random random = new Random(seed);
            for (TensorSpec t : tensors) {
                long start = sink.position;
                writeValues(sink, t, random);
                sink.padTo(start + align(t.type().bytes(t.values())));
            }
            sink.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static long align(long n) {
        return (n + GgufFormat.DEFAULT_ALIGNMENT - 1) / GgufFormat.DEFAULT_ALIGNMENT * GgufFormat.DEFAULT_ALIGNMENT;
    }

    private static List<TensorSpec> tensors(Shape s, int vocab) {
        List<TensorSpec> t = new ArrayList<>();
        t.add(new TensorSpec("token_embd.weight", new long[] {s.width(), vocab}, s.type(), false));
        t.add(new TensorSpec("output_norm.weight", new long[] {s.width()}, GgmlType.F32, true));
        t.add(new TensorSpec("output.weight", new long[] {s.width(), vocab}, s.type(), false));
        for (int i = 0; i < s.layers(); i++) {
            String b = "blk." + i + ".";
            t.add(new TensorSpec(b + "attn_norm.weight", new long[] {s.width()}, GgmlType.F32, true));
            t.add(new TensorSpec(b + "attn_q.weight", new long[] {s.width(), s.width()}, s.type(), false));
            t.add(new TensorSpec(b + "attn_k.weight", new long[] {s.width(), s.kvWidth()}, s.type(), false));
            t.add(new TensorSpec(b + "attn_v.weight", new long[] {s.width(), s.kvWidth()}, s.type(), false));
            t.add(new TensorSpec(b + "attn_output.weight", new long[] {s.width(), s.width()}, s.type(), false));
            t.add(new TensorSpec(b + "ffn_norm.weight", new long[] {s.width()}, GgmlType.F32, true));
            if (s.experts() > 0) {  // llama.cpp's names and layouts for a mixture of experts (as Mixtral's)
                t.add(new TensorSpec(b + "ffn_gate_inp.weight", new long[] {s.width(), s.experts()}, GgmlType.F32, false));
                t.add(new TensorSpec(b + "ffn_gate_exps.weight", new long[] {s.width(), s.feedForward(), s.experts()},
                        s.type(), false));
                t.add(new TensorSpec(b + "ffn_up_exps.weight", new long[] {s.width(), s.feedForward(), s.experts()},
                        s.type(), false));
                t.add(new TensorSpec(b + "ffn_down_exps.weight", new long[] {s.feedForward(), s.width(), s.experts()},
                        s.type(), false));
                continue;
            }
            t.add(new TensorSpec(b + "ffn_gate.weight", new long[] {s.width(), s.feedForward()}, s.type(), false));
            t.add(new TensorSpec(b + "ffn_up.weight", new long[] {s.width(), s.feedForward()}, s.type(), false));
            t.add(new TensorSpec(b + "ffn_down.weight", new long[] {s.feedForward(), s.width()}, s.type(), false));
        }
        return t;
    }

    private static Metadata metadata(Shape s, String name, List<String> vocabulary, String chatTemplate) {
        Metadata m = new Metadata();
        m.string("general.architecture", "llama");
        m.string("general.name", name);
        m.uint32("general.alignment", GgufFormat.DEFAULT_ALIGNMENT);
        m.uint32("general.file_type", switch (s.type()) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
        });
        m.uint32("llama.context_length", s.context());
        m.uint32("llama.embedding_length", s.width());
        m.uint32("llama.block_count", s.layers());
        m.uint32("llama.feed_forward_length", s.feedForward());
        m.uint32("llama.attention.head_count", s.heads());
        m.uint32("llama.attention.head_count_kv", s.kvHeads());
        if (s.experts() > 0) {
            m.uint32("llama.expert_count", s.experts());
            m.uint32("llama.expert_used_count", s.expertsUsed());
        }
        m.float32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        m.uint32("llama.rope.dimension_count", s.width() / s.heads());
        m.float32("llama.rope.freq_base", 10_000f);
        m.uint32("llama.vocab_size", vocabulary.size());
        m.string("tokenizer.ggml.model", "llama");
        m.strings("tokenizer.ggml.tokens", vocabulary);
        float[] scores = new float[vocabulary.size()];
        int[] types = new int[vocabulary.size()];
        for (int i = 0; i < types.length; i++) {
            types[i] = i == 0 ? TOKEN_UNKNOWN : i < 5 ? TOKEN_CONTROL : TOKEN_BYTE;
        }
        m.float32s("tokenizer.ggml.scores", scores);
        m.int32s("tokenizer.ggml.token_type", types);
        m.uint32("tokenizer.ggml.unknown_token_id", 0);
        m.uint32("tokenizer.ggml.bos_token_id", 1);
        m.uint32("tokenizer.ggml.eos_token_id", 2);
        m.bool("tokenizer.ggml.add_bos_token", true);
        m.string("tokenizer.chat_template", chatTemplate);
        return m;
    }

    private static void writeValues(Sink sink, TensorSpec t, Random random) throws IOException {
        float[] block = new float[32];
        long values = t.values();
        for (long done = 0; done < values; done += block.length) {
            int n = (int) Math.min(block.length, values - done);
            for (int i = 0; i < n; i++) {
                block[i] = t.norm() ? 1.0f : (float) (random.nextGaussian() * 0.02);
            }
            switch (t.type()) {
                case F32 -> {
                    for (int i = 0; i < n; i++) {
                        sink.float32(block[i]);
                    }
                }
                case F16 -> {
                    for (int i = 0; i < n; i++) {
                        sink.int16(Float.floatToFloat16(block[i]));
                    }
                }
                case Q8_0 -> sink.raw(Quantizer.q8_0(block));
                case Q4_0 -> sink.raw(Quantizer.q4_0(block));
            }
        }
    }

    /** Metadata entries, serialized as they are added. */
    private static final class Metadata {
        private final Sink bytes = new Sink(null);
        private long count;

        void string(String key, String value) {
            entry(key, GgufFormat.STRING).string(value);
        }

        void uint32(String key, int value) {
            entry(key, GgufFormat.UINT32).int32(value);
        }

        void float32(String key, float value) {
            entry(key, GgufFormat.FLOAT32).float32(value);
        }

        void bool(String key, boolean value) {
            entry(key, GgufFormat.BOOL).raw(new byte[] {(byte) (value ? 1 : 0)});
        }

        void strings(String key, List<String> values) {
            entry(key, GgufFormat.ARRAY).int32(GgufFormat.STRING).int64(values.size());
            values.forEach(bytes::string);
        }

        void float32s(String key, float[] values) {
            entry(key, GgufFormat.ARRAY).int32(GgufFormat.FLOAT32).int64(values.length);
            for (float v : values) {
                bytes.float32(v);
            }
        }

        void int32s(String key, int[] values) {
            entry(key, GgufFormat.ARRAY).int32(GgufFormat.INT32).int64(values.length);
            for (int v : values) {
                bytes.int32(v);
            }
        }

        private Sink entry(String key, int type) {
            count++;
            return bytes.string(key).int32(type);
        }

        byte[] bytes() {
            return bytes.memory();
        }
    }

    /** Little-endian output to a channel (or to memory when the channel is null), with its position. */
    private static final class Sink {
        private final FileChannel channel;
        private ByteBuffer buffer = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        long position;

        Sink(FileChannel channel) {
            this.channel = channel;
        }

        private ByteBuffer room(int n) {
            if (buffer.remaining() < n) {
                if (channel == null) {
                    ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + n))
                            .order(ByteOrder.LITTLE_ENDIAN);
                    buffer.flip();
                    bigger.put(buffer);
                    buffer = bigger;
                } else {
                    flush();
                }
            }
            position += n;
            return buffer;
        }

        Sink int16(short v) {
            room(2).putShort(v);
            return this;
        }

        Sink int32(int v) {
            room(4).putInt(v);
            return this;
        }

        Sink int64(long v) {
            room(8).putLong(v);
            return this;
        }

        Sink float32(float v) {
            room(4).putFloat(v);
            return this;
        }

        Sink string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            return int64(utf8.length).raw(utf8);
        }

        Sink raw(byte[] b) {
            if (b.length > buffer.capacity() && channel != null) {
                flush();
                write(ByteBuffer.wrap(b));
                position += b.length;
                return this;
            }
            room(b.length).put(b);
            return this;
        }

        void padTo(long target) {
            while (position < target) {
                room(1).put((byte) 0);
            }
        }

        byte[] memory() {
            byte[] out = new byte[buffer.position()];
            buffer.flip().get(out);
            return out;
        }

        void flush() {
            buffer.flip();
            write(buffer);
            buffer.clear();
        }

        private void write(ByteBuffer b) {
            try {
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
