package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.http.ServerRequest;
import io.micromesh.api.ApiException;
import io.micromesh.api.MeshRequest;
import io.micromesh.core.dispatch.Admission;
import io.micromesh.core.dispatch.Lane;
import java.util.Optional;

/**
 * Reads how a request is to be admitted from its headers and body: its lane ({@code x-mesh-priority},
 * else {@code agent} for a request of an agent workflow ({@code x-mesh-workflow}) whose route does
 * not put it lower, else the route's default, else {@code interactive}), its deadline
 * ({@code x-mesh-deadline-ms}, relative to its arrival), and its affinity key ({@code x-mesh-session},
 * else the workflow, else the {@code user} field, else a system prompt of at least
 * {@value #LONG_PREFIX_CHARS} characters — a prefix worth a replica's prompt cache). An agent's
 * calls grow one conversation, so keeping them on one replica lets its prompt cache serve each
 * call's prefix.
 */
final class Admissions {

    static final String PRIORITY = "x-mesh-priority";
    static final String DEADLINE = "x-mesh-deadline-ms";
    static final String SESSION = "x-mesh-session";
    static final String TRACEPARENT = "traceparent";
    private static final java.util.regex.Pattern TRACEPARENT_FORMAT =
            java.util.regex.Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    static final int LONG_PREFIX_CHARS = 2000;
    private static final long MAX_DEADLINE_MS = 24L * 3600 * 1000;

    private Admissions() {
    }

    /**
     * @param defaultLane the lane when the request asks for none: its route's, else interactive
     * @throws ApiException 400 naming the header when a header is not valid
     */
    static Admission of(ServerRequest req, MeshRequest request, Lane defaultLane, long arrivedNanos) {
        Lane lane = req.headers().first(io.helidon.http.HeaderNames.create(PRIORITY))
                .map(value -> Lane.of(value.strip().toLowerCase(java.util.Locale.ROOT)).orElseThrow(() ->
                        ApiException.invalidRequest(PRIORITY, "header " + PRIORITY + ": '" + value
                                + "' is not a lane; allowed: " + Lane.allowed())))
                .orElseGet(() -> workflow(req).isPresent() && defaultLane == Lane.INTERACTIVE ? Lane.AGENT : defaultLane);
        long deadline = req.headers().first(io.helidon.http.HeaderNames.create(DEADLINE))
                .map(value -> arrivedNanos + deadlineMillis(value) * 1_000_000L).orElse(Long.MAX_VALUE);
        return new Admission(lane, deadline, affinity(req, request.body()), correlation(req));
    }

    /**
     * The request's id (the edge's {@code x-request-id}) and the caller's W3C {@code traceparent}
     * when it is well formed, to pass on upstream; a malformed one is dropped, as the W3C
     * recommendation says, rather than refused.
     */
    static Admission.Correlation correlation(ServerRequest req) {
        String id = req.context().get(Exchange.class).map(Exchange::id).orElse(null);
        String traceparent = req.headers().first(io.helidon.http.HeaderNames.create(TRACEPARENT)).map(String::strip)
                .filter(value -> TRACEPARENT_FORMAT.matcher(value).matches() && !value.startsWith("ff")
                        && !value.substring(3, 35).equals("0".repeat(32)) && !value.substring(36, 52).equals("0".repeat(16)))
                .orElse(null);
        return new Admission.Correlation(id, traceparent);
    }

    /**
     * What the caller allows the response cache ({@code x-mesh-cache: no-cache} or {@code no-store}).
     *
     * @throws ApiException 400 naming the header when its value is neither
     */
    static io.micromesh.core.dispatch.Call.CacheDirective cacheDirective(ServerRequest req) {
        return req.headers().first(Responses.MESH_CACHE).map(value -> switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "no-cache" -> io.micromesh.core.dispatch.Call.CacheDirective.NO_CACHE;
            case "no-store" -> io.micromesh.core.dispatch.Call.CacheDirective.NO_STORE;
            default -> throw ApiException.invalidRequest("x-mesh-cache", "header x-mesh-cache: '" + value
                    + "' is not allowed; no-cache (not answered from the cache) or no-store (neither read nor stored)");
        }).orElse(io.micromesh.core.dispatch.Call.CacheDirective.DEFAULT);
    }

    /** The request's agent workflow, when it names one (checked by {@link Callers}). */
    private static Optional<String> workflow(ServerRequest req) {
        return req.headers().first(Callers.MESH_WORKFLOW).map(String::strip).filter(id -> !id.isEmpty());
    }

    private static long deadlineMillis(String value) {
        try {
            long ms = Long.parseLong(value.strip());
            if (ms >= 1 && ms <= MAX_DEADLINE_MS) {
                return ms;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.invalidRequest(DEADLINE, "header " + DEADLINE + ": '" + value
                + "' is not a number of milliseconds from 1 to " + MAX_DEADLINE_MS);
    }

    private static String affinity(ServerRequest req, JsonNode body) {
        Optional<String> session = req.headers().first(io.helidon.http.HeaderNames.create(SESSION));
        if (session.isPresent() && !session.get().isBlank()) {
            return "session:" + session.get();
        }
        Optional<String> workflow = workflow(req);
        if (workflow.isPresent()) {
            return "workflow:" + workflow.get();
        }
        if (body.path("user").isTextual() && !body.path("user").asText().isBlank()) {
            return "user:" + body.path("user").asText();
        }
        JsonNode first = body.path("messages").path(0);
        if (first.path("role").asText().equals("system") && first.path("content").isTextual()
                && first.path("content").asText().length() >= LONG_PREFIX_CHARS) {
            return "system:" + first.path("content").asText().hashCode() + ":" + first.path("content").asText().length();
        }
        return null;
    }
}
