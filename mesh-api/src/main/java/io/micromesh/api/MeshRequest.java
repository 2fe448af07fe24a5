package io.micromesh.api;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A validated OpenAI request: typed accessors for what micromesh decides on, and the original
 * body, which is passed through to backends so that fields micromesh does not know still reach them.
 */
public sealed interface MeshRequest permits ChatRequest, CompletionRequest, EmbeddingRequest, ResponsesRequest {

    /** The operation, which fixes the upstream path. */
    Operation operation();

    /** The model or route the client asked for. */
    String model();

    /** Whether the client asked for server-sent events. */
    boolean stream();

    /** The client's body, as received and validated. Callers must copy it before changing it. */
    ObjectNode body();
}
