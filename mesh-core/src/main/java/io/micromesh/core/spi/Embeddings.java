package io.micromesh.core.spi;

/** Arithmetic on embeddings: what steps and evaluations need of the vectors a {@link TextEncoder} gives. */
public final class Embeddings {

    private Embeddings() {
    }

    /** The dot product; for two unit-length vectors (what an encoder gives) it is their cosine similarity. */
    public static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    /** The cosine similarity of any two vectors (0 when one of them is zero). */
    public static double cosine(float[] a, float[] b) {
        double na = dot(a, a);
        double nb = dot(b, b);
        return na == 0 || nb == 0 ? 0 : dot(a, b) / Math.sqrt(na * nb);
    }
}
