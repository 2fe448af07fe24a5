package io.micromesh.engines.gguf;

/** Constants of the GGUF file format, version 3 (llama.cpp's {@code gguf.h}). */
final class GgufFormat {

    /** "GGUF" read as a little-endian 32-bit integer. */
    static final int MAGIC = 0x46554747;
    static final int VERSION = 3;
    static final int DEFAULT_ALIGNMENT = 32;

    // metadata value types
    static final int UINT8 = 0;
    static final int INT8 = 1;
    static final int UINT16 = 2;
    static final int INT16 = 3;
    static final int UINT32 = 4;
    static final int INT32 = 5;
    static final int FLOAT32 = 6;
    static final int BOOL = 7;
    static final int STRING = 8;
    static final int ARRAY = 9;
    static final int UINT64 = 10;
    static final int INT64 = 11;
    static final int FLOAT64 = 12;

    private GgufFormat() {
    }
}
