package io.micromesh.core.dispatch;

import io.micromesh.core.spi.ChunkSink;

/**
 * The client's side of a streamed answer, which the edge gives the dispatcher: it is told who is
 * about to serve before each attempt (while nothing has been sent, the answer's headers may still
 * change), then receives the chunks, each already carrying the model's id and, in the usage chunk,
 * the cost and energy. Used by one request's thread only.
 */
public interface ClientStream extends ChunkSink {

    /** An attempt is about to start on {@code served}; nothing of it has been sent yet. */
    void attempt(Served served);
}
