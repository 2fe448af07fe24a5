package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.ApiError;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.core.MeshException;
import java.time.Duration;
import java.util.Map;

/**
 * Turns a failure below the edge into the answer the client gets, in one place: 400, 404 and 422
 * when the request cannot be served as written, 502 when an upstream answered wrongly,
 * 503 when no healthy backend can take the request, 504 on an upstream timeout, 429 when upstreams
 * are overloaded, and the upstream's own 4xx when it refused the request as invalid.
 */
final class Failures {

    private Failures() {
    }

    static ApiException toApi(MeshException e) {
        String param = e.param().orElse(null);
        return switch (e.failure()) {
            case INVALID_REQUEST -> new ApiException(400, new ApiError(e.getMessage(), "invalid_request_error", param,
                    e.code().orElse("invalid_value")));
            case UNSUPPORTED -> new ApiException(422, new ApiError(e.getMessage(), "invalid_request_error", param,
                    "unsupported_by_model"));
            case MODEL_NOT_FOUND -> new ApiException(404, new ApiError(e.getMessage(), "invalid_request_error", param,
                    "model_not_found"));
            case NO_ADMISSIBLE_MODEL -> new ApiException(400, new ApiError(e.getMessage(), "invalid_request_error", param,
                    "no_admissible_model"));
            case REFUSED -> error(503, "backend_unavailable", e.getMessage(), Duration.ofSeconds(1));
            case UNAVAILABLE -> new ApiException(503, new ApiError(e.getMessage(), "server_error", param, "backend_unavailable"),
                    Map.of("Retry-After", String.valueOf(Math.max(1, e.retryAfter().orElse(Duration.ofSeconds(1)).toSeconds()))));
            case TIMEOUT -> error(504, "upstream_timeout", e.getMessage(), null);
            case OVERLOADED -> new ApiException(429, new ApiError(e.getMessage() + " (after one retry on another replica)",
                    "rate_limit_error", null, "upstream_overloaded"), Map.of("Retry-After", "1"));
            case UPSTREAM_ERROR -> error(502, "upstream_error", e.getMessage(), null);
            case BROKEN_BEFORE_FIRST_CHUNK, BROKEN_STREAM -> error(502, "upstream_broken_stream", e.getMessage(), null);
            case BAD_RESPONSE -> error(502, "upstream_bad_response", e.getMessage(), null);
            case UNAUTHORIZED -> error(502, "upstream_unauthorized", e.getMessage()
                    + ": the upstream refused micromesh's credentials; check the model's api-key", null);
            case REJECTED -> rejected(e);
            case QUEUE_FULL -> new ApiException(429, new ApiError(e.getMessage(), "rate_limit_error", null, "queue_full"),
                    Map.of("Retry-After", String.valueOf(Math.max(1, e.retryAfter().orElse(Duration.ofSeconds(1)).toSeconds()))));
            case DEADLINE_EXCEEDED -> error(504, "deadline_exceeded", e.getMessage(), null);
            case FORBIDDEN -> new ApiException(403, new ApiError(e.getMessage(), "permission_error", "model",
                    "model_not_allowed"));
            case BUDGET_EXCEEDED -> new ApiException(429, new ApiError(e.getMessage(), "insufficient_quota", null,
                    "budget_exceeded"));
            case RATE_LIMITED -> new ApiException(429, new ApiError(e.getMessage(), "rate_limit_error", null, "rate_limited"),
                    Map.of("Retry-After", String.valueOf(Math.max(1, e.retryAfter().orElse(Duration.ofSeconds(1)).toSeconds()))));
            case STORE_UNAVAILABLE -> error(503, "store_unavailable", e.getMessage(), Duration.ofSeconds(5));
        };
    }

    /** The store (ledger, keys, budgets, files) cannot be reached: a 503 to retry, saying what failed. */
    static ApiException storeUnavailable(String message) {
        return error(503, "store_unavailable", message, Duration.ofSeconds(5));
    }

    private static ApiException error(int status, String code, String message, Duration retryAfter) {
        ApiError error = new ApiError(message, "server_error", null, code);
        return retryAfter == null ? new ApiException(status, error)
                : new ApiException(status, error, Map.of("Retry-After", String.valueOf(Math.max(1, retryAfter.toSeconds()))));
    }

    /**
     * The upstream's 4xx: the client's request was refused. An OpenAI-shaped error keeps its code,
     * parameter and (clipped) message, which name what to fix; any other body is the upstream's own
     * words (a traceback, a path) and goes to the log only.
     */
    private static ApiException rejected(MeshException e) {
        JsonNode err = parse(e.upstreamBody().orElse("")).path("error");
        boolean openAiShaped = err.path("message").isTextual();
        String message = openAiShaped ? "upstream: " + clip(err.path("message").asText(), 500)
                : e.getMessage() + ": the model's server refused the request as invalid";
        String param = openAiShaped && err.path("param").isTextual() ? clip(err.path("param").asText(), 100) : null;
        String code = openAiShaped && err.path("code").isTextual() && err.path("code").asText().matches("[a-z0-9_]{1,64}")
                ? err.path("code").asText() : "upstream_rejected";
        int status = e.upstreamStatus() >= 400 && e.upstreamStatus() < 500 ? e.upstreamStatus() : 400;
        return new ApiException(status, new ApiError(message, "invalid_request_error", param, code));
    }

    private static String clip(String text, int limit) {
        return text.length() <= limit ? text : text.substring(0, limit - 3) + "...";
    }

    private static JsonNode parse(String body) {
        try {
            JsonNode node = Json.mapper().readTree(body);
            return node == null ? Json.object() : node;
        } catch (Exception e) {
            return Json.object();
        }
    }
}
