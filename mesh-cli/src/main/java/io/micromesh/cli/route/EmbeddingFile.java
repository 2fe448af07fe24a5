package io.micromesh.cli.route;

import io.micromesh.core.spi.TextEncoder;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * Embeddings of texts kept in a file between runs of {@code mesh route eval}, keyed by the SHA-256
 * of the text and the encoder's name: embedding the 7,000 prompts of MMLU takes over two minutes
 * on two cores, and an evaluation is run many times over the same prompts. The file is a header
 * ({@value #MAGIC}, the encoder name, the dimension) followed by records (32-byte digest, floats);
 * new embeddings are appended. A file of another encoder or dimension is refused, not overwritten.
 */
public final class EmbeddingFile implements AutoCloseable {

    static final String MAGIC = "micromesh-embeddings-1";

    private final TextEncoder encoder;
    private final Map<String, float[]> known = new HashMap<>();
    private final DataOutputStream out;

    private EmbeddingFile(TextEncoder encoder, DataOutputStream out) {
        this.encoder = encoder;
        this.out = out;
    }

    /**
     * Opens (or creates) the cache file of an encoder.
     *
     * @throws IllegalArgumentException when the file is not a cache of this encoder
     */
    public static EmbeddingFile open(Path file, String encoderName, TextEncoder encoder) {
        try {
            Map<String, float[]> read = new HashMap<>();
            boolean exists = Files.exists(file) && Files.size(file) > 0;
            if (exists) {
                try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
                    String magic = in.readUTF();
                    String name = in.readUTF();
                    if (!magic.equals(MAGIC) || !name.equals(encoderName)) {
                        throw new IllegalArgumentException(file + " is not an embedding cache of encoder " + encoderName);
                    }
                    int dimension = in.readInt();
                    byte[] digest = new byte[32];
                    while (true) {
                        try {
                            in.readFully(digest);
                        } catch (EOFException end) {
                            break;
                        }
                        float[] vector = new float[dimension];
                        try {
                            for (int d = 0; d < dimension; d++) {
                                vector[d] = in.readFloat();
                            }
                        } catch (EOFException torn) {
                            break;  // a run killed while appending: the last record is incomplete
                        }
                        read.put(HexFormat.of().formatHex(digest), vector);
                    }
                }
            } else if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)));
            EmbeddingFile cache = new EmbeddingFile(encoder, out);
            cache.known.putAll(read);
            if (!exists) {
                out.writeUTF(MAGIC);
                out.writeUTF(encoderName);
                out.writeInt(encoder.embed("dimension").length);
            }
            return cache;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use embedding cache " + file + ": " + e.getMessage(), e);
        }
    }

    /** The embedding of a text: from the file when it was embedded before, else computed and appended. */
    public float[] embed(String text) {
        String key = digest(text);
        float[] vector = known.get(key);
        if (vector != null) {
            return vector;
        }
        vector = encoder.embed(text);
        known.put(key, vector);
        try {
            out.write(HexFormat.of().parseHex(key));
            for (float v : vector) {
                out.writeFloat(v);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return vector;
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String digest(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
