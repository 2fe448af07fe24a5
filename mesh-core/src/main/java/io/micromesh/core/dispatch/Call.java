package io.micromesh.core.dispatch;

import io.micromesh.api.MeshRequest;

/**
 * One request to dispatch: what was asked and how it is to be admitted, with who asked.
 *
 * @param request      the validated request; its {@code model} names a model or a route
 * @param admission    its lane, deadline and affinity
 * @param requestId    its id, for the usage record
 * @param keyId        who asked (the id of the caller's API key, {@code anonymous} without one)
 * @param task         the caller's task label ({@code x-mesh-task}), or null
 * @param arrivedNanos when it arrived, on the dispatcher's nanosecond ticker
 */
public record Call(MeshRequest request, Admission admission, String requestId, String keyId, String task,
                   long arrivedNanos) {

    public Call {
        if (request == null || admission == null || requestId == null || keyId == null) {
            throw new IllegalArgumentException("a call needs a request, an admission, a request id and a key id");
        }
    }
}
