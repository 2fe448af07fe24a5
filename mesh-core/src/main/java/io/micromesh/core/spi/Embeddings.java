package io.micromesh.core.spi;

/** Arithmetic on embeddings: what steps and evaluations need of the vectors a {@link TextEncoder} gives. */
public final class Embeddings {

    private Embeddings() {
    }

    /** The dot product; for two unit-length vectors (what an encoder gives) it is their cosine similarity. */
    public static double dot(float[] a, float[] b) {
        // four running sums: independent additions the CPU overlaps, where one sum waits on each
        // addition before the next (a cost-quality decision takes one dot product per remembered
        // prompt: 50,000 of them took 16 ms with one sum; docs/routing.md)
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (int end = a.length - 3; i < end; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < a.length; i++) {
            s0 += a[i] * b[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** The cosine similarity of any two vectors (0 when one of them is zero). */
    public static double cosine(float[] a, float[] b) {
        double na = dot(a, a);
        double nb = dot(b, b);
        return na == 0 || nb == 0 ? 0 : dot(a, b) / Math.sqrt(na * nb);
    }
}
