package io.micromesh.core.routing;

import io.micromesh.core.spi.TextEncoder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The embeddings of the last {@value #SIZE} texts a route embedded, so that a repeated prompt (an
 * agent's retry, a batch's duplicate) costs no encoder call. Thread-safe; the encoder runs outside
 * the lock.
 */
final class EmbeddingCache {

    static final int SIZE = 4096;

    private final TextEncoder encoder;
    private final Map<String, float[]> recent = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
            return size() > SIZE;
        }
    };

    EmbeddingCache(TextEncoder encoder) {
        this.encoder = encoder;
    }

    float[] embed(String text) {
        synchronized (recent) {
            float[] cached = recent.get(text);
            if (cached != null) {
                return cached;
            }
        }
        float[] vector = encoder.embed(text);
        synchronized (recent) {
            recent.put(text, vector);
        }
        return vector;
    }
}
