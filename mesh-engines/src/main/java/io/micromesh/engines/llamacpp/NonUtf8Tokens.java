package io.micromesh.engines.llamacpp;

import io.micromesh.engines.gguf.GgufFile;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The tokens of a vocabulary that stand for one byte which never occurs in UTF-8 ({@code C0},
 * {@code C1}, {@code F5}..{@code FF}). Under a grammar they must be kept out: llama.cpp's grammar
 * reads such a byte as the start of a character and lets it through inside a JSON string, but the
 * text that comes out holds a replacement character for each byte, so a string the grammar bounded
 * to 40 characters arrives longer (seen on random-weight models; a trained model hardly ever emits
 * them, and never on purpose). Found by the tokens' own spelling: {@code <0xF8>} in SentencePiece
 * vocabularies with byte fallback, the byte's Latin-1 character in GPT-2-style byte-level BPE (whose
 * byte-to-character map keeps these bytes as themselves).
 */
final class NonUtf8Tokens {

    private NonUtf8Tokens() {
    }

    /** The ids of the never-UTF-8 single-byte tokens of a model's vocabulary; empty when it has none or none is known. */
    static Set<Integer> of(GgufFile header) {
        Object model = header.metadata().get("tokenizer.ggml.model");
        if (!(header.metadata().get("tokenizer.ggml.tokens") instanceof List<?> tokens)) {
            return Set.of();
        }
        Set<String> spellings = new java.util.HashSet<>();
        for (int b = 0; b < 256; b++) {
            if (b == 0xC0 || b == 0xC1 || b >= 0xF5) {
                spellings.add("llama".equals(model) ? String.format("<0x%02X>", b) : String.valueOf((char) b));
            }
        }
        if (!"llama".equals(model) && !"gpt2".equals(model)) {
            return Set.of();
        }
        Set<Integer> ids = new TreeSet<>();
        for (int id = 0; id < tokens.size(); id++) {
            if (tokens.get(id) instanceof String token && spellings.contains(token)) {
                ids.add(id);
            }
        }
        return Set.copyOf(ids);
    }
}
