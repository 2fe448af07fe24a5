package io.micromesh.core.config;

import com.fasterxml.jackson.annotation.JsonValue;
import io.micromesh.api.Operation;
import java.util.Arrays;
import java.util.stream.Collectors;

/** What a model can do; the gateway answers 422 when a request needs what its model lacks. */
public enum Capability {
    CHAT("chat"),
    COMPLETIONS("completions"),
    EMBEDDINGS("embeddings"),
    TOOLS("tools"),
    JSON("json"),
    VISION("vision"),
    /** Speech to text: {@code /v1/audio/transcriptions}. */
    TRANSCRIPTION("transcription");

    private final String key;

    Capability(String key) {
        this.key = key;
    }

    /** The name used in the configuration file. */
    @JsonValue
    public String key() {
        return key;
    }

    /** The capability an operation needs. */
    public static Capability of(Operation operation) {
        return switch (operation) {
            case CHAT_COMPLETIONS -> CHAT;
            case COMPLETIONS -> COMPLETIONS;
            case EMBEDDINGS -> EMBEDDINGS;
            case RESPONSES -> CHAT;
        };
    }

    /** The names allowed in the configuration file, for error messages. */
    public static String allowed() {
        return Arrays.stream(values()).map(Capability::key).collect(Collectors.joining(", "));
    }
}
