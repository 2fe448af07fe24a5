package io.micromesh.core.spi;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A complete (non-streamed) answer of a backend.
 *
 * @param body   the OpenAI response body; the gateway owns it from here and may change it
 * @param tokens the tokens it cost
 */
public record BackendReply(ObjectNode body, Usage tokens) {
}
