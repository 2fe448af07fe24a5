package io.micromesh.api;

/** The generative and encoder operations of the OpenAI API that a model may serve. */
public enum Operation {
    /** {@code POST /v1/chat/completions}. */
    CHAT_COMPLETIONS("/chat/completions"),
    /** {@code POST /v1/completions}. */
    COMPLETIONS("/completions"),
    /** {@code POST /v1/embeddings}. */
    EMBEDDINGS("/embeddings"),
    /** {@code POST /v1/responses}, passed through to backends that serve it ({@code responses-api: passthrough}). */
    RESPONSES("/responses");

    private final String path;

    Operation(String path) {
        this.path = path;
    }

    /** The path under {@code /v1}, e.g. {@code /chat/completions}. */
    public String path() {
        return path;
    }
}
