package io.micromesh.core.spi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.JsonBody;

/**
 * A complete (non-streamed) answer of a backend.
 *
 * @param answer  the OpenAI response body, as the upstream's bytes or a tree the backend built; the
 *                dispatcher owns it from here and may change it
 * @param tokens  the tokens it cost
 * @param replica the replica that answered (its base URL), empty for a backend of one replica
 */
public record BackendReply(JsonBody answer, Usage tokens, String replica) {

    /** An answer a backend built as a tree. */
    public BackendReply(ObjectNode body, Usage tokens, String replica) {
        this(JsonBody.of(body), tokens, replica);
    }

    /** An answer of a backend that has no replicas to tell apart. */
    public BackendReply(ObjectNode body, Usage tokens) {
        this(JsonBody.of(body), tokens, "");
    }

    /** The answer as a tree (parsed once, when it came as bytes). */
    public ObjectNode body() {
        return answer.tree();
    }
}
