package io.micromesh.core.spi;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where a streaming backend delivers its chunks, one {@code chat.completion.chunk} (or text
 * completion chunk) at a time, in order. Called from the backend's calling thread only.
 */
@FunctionalInterface
public interface ChunkSink {

    /**
     * Delivers one chunk; the sink owns it from here.
     *
     * @throws ClientGoneException when the client went away: the backend must stop and cancel upstream
     */
    void send(ObjectNode chunk);

    /** Tells which replica serves the stream (its base URL), before its first chunk; backends of one replica need not. */
    default void servedBy(String replica) {
    }
}
