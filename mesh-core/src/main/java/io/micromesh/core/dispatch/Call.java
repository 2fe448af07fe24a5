package io.micromesh.core.dispatch;

import io.micromesh.api.MeshRequest;

/**
 * One request to dispatch: what was asked and how it is to be admitted, with who asked.
 *
 * @param request      the validated request; its {@code model} names a model or a route
 * @param admission    its lane, deadline and affinity
 * @param requestId    its id, for the usage record
 * @param caller       whom it is served for (key and workflow)
 * @param task         the caller's task label ({@code x-mesh-task}), or null
 * @param arrivedNanos when it arrived, on the dispatcher's nanosecond ticker
 * @param cache        what the caller allows the response cache ({@code x-mesh-cache})
 */
public record Call(MeshRequest request, Admission admission, String requestId, Caller caller, String task,
                   long arrivedNanos, CacheDirective cache) {

    public Call {
        if (request == null || admission == null || requestId == null || caller == null) {
            throw new IllegalArgumentException("a call needs a request, an admission, a request id and a caller");
        }
        cache = cache == null ? CacheDirective.DEFAULT : cache;
    }

    /** A call that lets the cache do as its model or route says. */
    public Call(MeshRequest request, Admission admission, String requestId, Caller caller, String task, long arrivedNanos) {
        this(request, admission, requestId, caller, task, arrivedNanos, CacheDirective.DEFAULT);
    }

    /** What a caller allows the response cache, from its {@code x-mesh-cache} header. */
    public enum CacheDirective {
        /** As the model or route says. */
        DEFAULT,
        /** Not answered from the cache; the fresh answer replaces the stored one. */
        NO_CACHE,
        /** Neither answered from the cache nor stored in it (an answer that must not be kept). */
        NO_STORE
    }
}
