package io.micromesh.core.spi;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A complete (non-streamed) answer of a backend.
 *
 * @param body    the OpenAI response body; the gateway owns it from here and may change it
 * @param tokens  the tokens it cost
 * @param replica the replica that answered (its base URL), empty for a backend of one replica
 */
public record BackendReply(ObjectNode body, Usage tokens, String replica) {

    /** An answer of a backend that has no replicas to tell apart. */
    public BackendReply(ObjectNode body, Usage tokens) {
        this(body, tokens, "");
    }
}
