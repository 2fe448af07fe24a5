package io.micromesh.core.spi;

import io.micromesh.api.MeshRequest;
import io.micromesh.core.MeshException;
import io.micromesh.core.dispatch.Admission;
import java.util.List;

/**
 * The port through which the gateway reaches a model, whatever runs it: a remote OpenAI-compatible
 * server, a local engine worker, an in-process encoder. Implementations are thread-safe and
 * blocking: call them from virtual threads. A backend serves one model of the portfolio.
 */
public interface Backend extends AutoCloseable {

    /**
     * Answers a request in one piece.
     *
     * @param request a validated request for this backend's model
     * @return the OpenAI response body and its token counts
     * @throws MeshException when no answer could be had
     */
    BackendReply call(MeshRequest request);

    /**
     * Answers a request as a stream of chunks delivered to {@code sink}, in order, on the calling thread.
     *
     * @return the token counts of the whole stream
     * @throws MeshException   when the stream could not be had or broke
     * @throws ClientGoneException when the sink reported that the client went away
     */
    Usage stream(MeshRequest request, ChunkSink sink);

    /**
     * Answers a request in one piece, admitted in its lane, by its deadline, with its affinity.
     * Backends without admission of their own ignore it.
     */
    default BackendReply call(MeshRequest request, Admission admission) {
        return call(request);
    }

    /** Streams a request, admitted in its lane, by its deadline, with its affinity. */
    default Usage stream(MeshRequest request, ChunkSink sink, Admission admission) {
        return stream(request, sink);
    }

    /** What the admission gates of the backend's replicas show (for metrics); empty when it has none. */
    default List<GateGauges> gates() {
        return List.of();
    }

    /** Whether the backend takes requests now. Cheap: no I/O. */
    BackendHealth health();

    /** Releases connections, threads and native memory. */
    @Override
    void close();
}
