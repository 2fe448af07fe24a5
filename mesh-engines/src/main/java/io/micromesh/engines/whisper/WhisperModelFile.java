package io.micromesh.engines.whisper;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * The header of a whisper.cpp model file (the legacy {@code ggml} layout that whisper.cpp loads:
 * magic, eleven hyper-parameters, the mel filter bank, the vocabulary, then the tensors), checked
 * in Java before whisper-jni sees the file. Checking is not optional: whisper.cpp trusts the
 * header, and handing it another ggml file (a Silero voice-activity model, a llama.cpp file) aborts
 * the whole JVM. So every field is held to what OpenAI's Whisper models have (a vocabulary of
 * 51,864 to 51,866 tokens, 1,500 audio and 448 text positions, 80 or 128 mel bands, a 201-bin
 * filter bank) and the vocabulary is walked to the end within the file.
 *
 * @param vocabulary   the model's vocabulary size
 * @param audioState   width of the audio encoder
 * @param audioLayers  layers of the audio encoder
 * @param textState    width of the text decoder
 * @param textLayers   layers of the text decoder
 * @param mels         mel bands of its input
 * @param ftype        the weights' type (whisper.cpp's {@code ftype}, quantization version times 1000 plus type)
 * @param multilingual whether it knows other languages than English (a vocabulary over 51,864)
 * @param hasWeights   whether tensors follow the vocabulary (files made for tests have none)
 */
public record WhisperModelFile(int vocabulary, int audioState, int audioLayers, int textState, int textLayers, int mels,
                               int ftype, boolean multilingual, boolean hasWeights) {

    /** {@code ggml} in the little-endian order whisper.cpp writes it. */
    static final int MAGIC = 0x67676d6c;
    private static final int ENGLISH_VOCABULARY = 51_864;
    private static final int AUDIO_POSITIONS = 1_500;
    private static final int TEXT_POSITIONS = 448;
    private static final int FFT_BINS = 201;
    private static final int HEADER_BYTES = 4 + 11 * 4;

    /** A file that is missing, unreadable, or not a whisper.cpp model; the message says which and why. */
    public static final class InvalidModelFile extends Exception {
        InvalidModelFile(String message) {
            super(message);
        }
    }

    /** The size of a model: the shape of whisper's published sizes, for files made for tests and benchmarks. */
    public record Shape(String name, int state, int heads, int layers) {
        /** whisper tiny (39 M parameters). */
        public static final Shape TINY = new Shape("tiny", 384, 6, 4);
        /** whisper base (74 M parameters). */
        public static final Shape BASE = new Shape("base", 512, 8, 6);
        /** whisper small (244 M parameters). */
        public static final Shape SMALL = new Shape("small", 768, 12, 12);

        /** A shape by name: tiny, base or small. */
        public static Shape named(String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "tiny" -> TINY;
                case "base" -> BASE;
                case "small" -> SMALL;
                default -> throw new IllegalArgumentException("no whisper shape named '" + name + "'; known: tiny, base, small");
            };
        }
    }

    /**
     * Reads and checks the header of {@code file}.
     *
     * @throws InvalidModelFile naming the file and what is wrong with it
     */
    public static WhisperModelFile check(Path file) throws InvalidModelFile {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            // header, mel filters and vocabulary together stay under a few MB; the tensors are not read
            ByteBuffer head = ByteBuffer.allocate((int) Math.min(size, 8L << 20)).order(ByteOrder.LITTLE_ENDIAN);
            while (head.hasRemaining() && channel.read(head) > 0) {
                // fill
            }
            head.flip();
            return parse(head, size, file);
        } catch (NoSuchFileException e) {
            throw new InvalidModelFile(file + ": no such file; give the path of a whisper.cpp model (ggml-*.bin),"
                    + " for example one fetched with mesh pull");
        } catch (IOException e) {
            throw new InvalidModelFile(file + ": cannot be read: " + e.getMessage());
        }
    }

    private static WhisperModelFile parse(ByteBuffer in, long size, Path file) throws InvalidModelFile {
        String not = file + " is not a whisper.cpp model file: ";
        if (size < HEADER_BYTES) {
            throw new InvalidModelFile(not + "it has " + size + " bytes, fewer than a header");
        }
        if (in.getInt() != MAGIC) {
            throw new InvalidModelFile(not + "it does not start with whisper.cpp's ggml magic"
                    + (size >= 4 && looksLikeGguf(in) ? " (it is a GGUF file: engine llamacpp runs those)" : ""));
        }
        int vocabulary = in.getInt();
        int audioContext = in.getInt();
        int audioState = in.getInt();
        int audioHeads = in.getInt();
        int audioLayers = in.getInt();
        int textContext = in.getInt();
        int textState = in.getInt();
        int textHeads = in.getInt();
        int textLayers = in.getInt();
        int mels = in.getInt();
        int ftype = in.getInt();
        require(vocabulary >= ENGLISH_VOCABULARY && vocabulary <= ENGLISH_VOCABULARY + 2, not,
                "its vocabulary has " + vocabulary + " tokens, Whisper's 51,864 to 51,866 (another kind of ggml file?)");
        require(audioContext == AUDIO_POSITIONS && textContext == TEXT_POSITIONS, not,
                "its contexts are " + audioContext + " audio and " + textContext + " text positions, Whisper's 1,500 and 448");
        requireShape(audioState, audioHeads, audioLayers, "audio encoder", not);
        requireShape(textState, textHeads, textLayers, "text decoder", not);
        require(mels == 80 || mels == 128, not, "it has " + mels + " mel bands, Whisper's 80 or 128");
        require(ftype >= 0 && ftype % 1000 <= 32 && ftype / 1000 <= 8, not, "its weight type " + ftype + " is unknown");
        require(in.remaining() >= 8, not, "it ends before its mel filters");
        int filterMels = in.getInt();
        int filterBins = in.getInt();
        require(filterMels == mels && filterBins == FFT_BINS, not, "its mel filter bank is " + filterMels + " x " + filterBins
                + ", not " + mels + " x " + FFT_BINS);
        long filterBytes = 4L * filterMels * filterBins;
        require(in.remaining() >= filterBytes + 4, not, "it ends inside its mel filters");
        in.position(in.position() + (int) filterBytes);
        int tokens = in.getInt();
        require(tokens >= 0 && tokens <= vocabulary, not, "its vocabulary section claims " + tokens + " tokens");
        for (int i = 0; i < tokens; i++) {
            require(in.remaining() >= 4, not, "it ends inside its vocabulary (token " + i + ")");
            int length = in.getInt();
            require(length >= 0 && length <= 256 && in.remaining() >= length, not, "token " + i + " of its vocabulary has"
                    + " a length of " + length + " bytes");
            in.position(in.position() + length);
        }
        boolean weights = size > in.position();
        return new WhisperModelFile(vocabulary, audioState, audioLayers, textState, textLayers, mels, ftype,
                vocabulary > ENGLISH_VOCABULARY, weights);
    }

    private static boolean looksLikeGguf(ByteBuffer in) {
        return in.get(0) == 'G' && in.get(1) == 'G' && in.get(2) == 'U' && in.get(3) == 'F';
    }

    private static void requireShape(int state, int heads, int layers, String part, String not) throws InvalidModelFile {
        require(state >= 64 && state <= 4096 && heads >= 1 && heads <= 64 && state % heads == 0 && layers >= 1 && layers <= 64,
                not, "its " + part + " has width " + state + ", " + heads + " heads and " + layers + " layers");
    }

    private static void require(boolean condition, String not, String why) throws InvalidModelFile {
        if (!condition) {
            throw new InvalidModelFile(not + why);
        }
    }

    /**
     * Writes a whisper.cpp model file of this shape with an English header, zero mel filters, a
     * vocabulary of the 256 byte tokens, and no tensors: whisper.cpp loads such a file as an empty
     * model (its tensors allocated, all zero) and transcribes nothing, but runs the encoder and
     * decoder at the cost of a real model of that shape. For tests, and for timing a shape whose
     * weights cannot be downloaded.
     */
    public static void writeEmpty(Path file, Shape shape) throws IOException {
        try (OutputStream raw = Files.newOutputStream(file);
             DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(raw))) {
            int[] header = {MAGIC, ENGLISH_VOCABULARY, AUDIO_POSITIONS, shape.state(), shape.heads(), shape.layers(),
                TEXT_POSITIONS, shape.state(), shape.heads(), shape.layers(), 80, 1};
            for (int value : header) {
                out.writeInt(Integer.reverseBytes(value));
            }
            out.writeInt(Integer.reverseBytes(80));
            out.writeInt(Integer.reverseBytes(FFT_BINS));
            out.write(new byte[4 * 80 * FFT_BINS]);
            out.writeInt(Integer.reverseBytes(256));
            for (int b = 0; b < 256; b++) {
                byte[] token = b < 0x80 ? String.valueOf((char) b).getBytes(StandardCharsets.US_ASCII) : new byte[] {(byte) b};
                out.writeInt(Integer.reverseBytes(token.length));
                out.write(token);
            }
        }
    }
}
