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
 */
public record Call(MeshRequest request, Admission admission, String requestId, Caller caller, String task,
                   long arrivedNanos) {

    public Call {
        if (request == null || admission == null || requestId == null || caller == null) {
            throw new IllegalArgumentException("a call needs a request, an admission, a request id and a caller");
        }
    }
}
