package io.micromesh.engines.gguf;

/**
 * ggml's reference block quantizers for 32 values, as llama.cpp's {@code quantize_row_q8_0_ref}
 * and {@code quantize_row_q4_0_ref} define them: an f16 scale, then the quantized values.
 */
final class Quantizer {

    private Quantizer() {
    }

    /** Q8_0: scale = max|x| / 127, q = round(x / scale) as signed bytes. 34 bytes. */
    static byte[] q8_0(float[] x) {
        float amax = 0;
        for (float v : x) {
            amax = Math.max(amax, Math.abs(v));
        }
        float d = amax / 127f;
        float id = d == 0 ? 0 : 1 / d;
        byte[] out = new byte[34];
        putF16(out, Float.floatToFloat16(d));
        for (int i = 0; i < 32; i++) {
            out[2 + i] = (byte) Math.round(x[i] * id);
        }
        return out;
    }

    /**
     * Q4_0: scale = (the value of largest magnitude) / -8, q = clamp(x / scale + 8.5, 0, 15); byte j
     * holds value j in its low nibble and value j + 16 in its high nibble. 18 bytes.
     */
    static byte[] q4_0(float[] x) {
        float amax = 0;
        float max = 0;
        for (float v : x) {
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8f;
        float id = d == 0 ? 0 : 1 / d;
        byte[] out = new byte[18];
        putF16(out, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int low = Math.min(15, (int) (x[j] * id + 8.5f));
            int high = Math.min(15, (int) (x[j + 16] * id + 8.5f));
            out[2 + j] = (byte) (low | high << 4);
        }
        return out;
    }

    /** The 32 values a Q8_0 block stands for. */
    static float[] dequantizeQ8_0(byte[] block) {
        float d = Float.float16ToFloat(getF16(block));
        float[] x = new float[32];
        for (int i = 0; i < 32; i++) {
            x[i] = block[2 + i] * d;
        }
        return x;
    }

    /** The 32 values a Q4_0 block stands for. */
    static float[] dequantizeQ4_0(byte[] block) {
        float d = Float.float16ToFloat(getF16(block));
        float[] x = new float[32];
        for (int j = 0; j < 16; j++) {
            x[j] = ((block[2 + j] & 0x0f) - 8) * d;
            x[j + 16] = (((block[2 + j] >> 4) & 0x0f) - 8) * d;
        }
        return x;
    }

    private static void putF16(byte[] out, short half) {
        out[0] = (byte) half;
        out[1] = (byte) (half >> 8);
    }

    private static short getF16(byte[] block) {
        return (short) ((block[0] & 0xff) | (block[1] & 0xff) << 8);
    }
}
