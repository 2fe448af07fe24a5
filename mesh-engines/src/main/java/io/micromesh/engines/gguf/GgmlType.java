package io.micromesh.engines.gguf;

import java.util.Optional;

/**
 * The tensor encodings the GGUF writer can produce, with their ggml type ids and block layout
 * (ggml's {@code ggml_type}: a quantized type stores blocks of 32 values with one f16 scale).
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    /** 32 values per block: an f16 scale and 16 bytes of 4-bit values, value = (q - 8) * scale. */
    Q4_0(2, 32, 18),
    /** 32 values per block: an f16 scale and 32 signed bytes, value = q * scale. */
    Q8_0(8, 32, 34);

    private final int id;
    private final int blockValues;
    private final int blockBytes;

    GgmlType(int id, int blockValues, int blockBytes) {
        this.id = id;
        this.blockValues = blockValues;
        this.blockBytes = blockBytes;
    }

    /** The id stored in a GGUF tensor entry. */
    public int id() {
        return id;
    }

    /** Values per block: rows must be a multiple of it. */
    public int blockValues() {
        return blockValues;
    }

    /** Bytes that {@code values} values take (a multiple of {@link #blockValues()}). */
    public long bytes(long values) {
        if (values % blockValues != 0) {
            throw new IllegalArgumentException(name() + " stores rows in blocks of " + blockValues
                    + " values; " + values + " is not a multiple");
        }
        return values / blockValues * blockBytes;
    }

    /** The type with this id, if the writer knows it. */
    public static Optional<GgmlType> ofId(int id) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
