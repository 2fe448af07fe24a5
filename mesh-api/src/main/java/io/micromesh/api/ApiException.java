package io.micromesh.api;

import java.util.Map;

/**
 * A failure to be answered to the client as an OpenAI-shaped error with an HTTP status. Thrown by
 * validation and by the gateway's mapping of backend failures; stackless, because it is an answer,
 * not a bug, and it may be thrown at high rates under load shedding.
 */
public final class ApiException extends RuntimeException {

    private final int status;
    private final ApiError error;
    private final Map<String, String> headers;

    public ApiException(int status, ApiError error, Map<String, String> headers) {
        super(error.message(), null, false, false);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an error status is 4xx or 5xx, not " + status);
        }
        this.status = status;
        this.error = error;
        this.headers = Map.copyOf(headers);
    }

    public ApiException(int status, ApiError error) {
        this(status, error, Map.of());
    }

    /** The HTTP status to answer with. */
    public int status() {
        return status;
    }

    /** The error body. */
    public ApiError error() {
        return error;
    }

    /** Extra response headers, such as {@code Retry-After}. */
    public Map<String, String> headers() {
        return headers;
    }

    /** 400: the request is malformed; {@code param} names the field at fault, or is null. */
    public static ApiException invalidRequest(String param, String message) {
        return new ApiException(400, new ApiError(message, "invalid_request_error", param, "invalid_value"));
    }

    /** 400 with a specific code such as {@code missing_required_parameter}. */
    public static ApiException invalidRequest(String param, String code, String message) {
        return new ApiException(400, new ApiError(message, "invalid_request_error", param, code));
    }

    /** 401: missing or wrong API key. */
    public static ApiException unauthorized(String message) {
        return new ApiException(401, new ApiError(message, "invalid_request_error", null, "invalid_api_key"));
    }

    /** 404: no such model or route. */
    public static ApiException modelNotFound(String model) {
        return new ApiException(404, new ApiError(
                "The model '" + Quote.clip(model) + "' does not exist in this portfolio; GET /v1/models lists those that do.",
                "invalid_request_error", "model", "model_not_found"));
    }

    /** 404: no such path. */
    public static ApiException notFound(String message) {
        return new ApiException(404, new ApiError(message, "invalid_request_error", null, "not_found"));
    }

    /** 413: the body exceeds the configured limit. */
    public static ApiException tooLarge(long limitBytes) {
        return new ApiException(413, new ApiError(
                "The request body is larger than this gateway accepts (" + limitBytes
                        + " bytes, server.max-body-bytes).",
                "invalid_request_error", null, "request_too_large"));
    }

    /** 422: a valid request that the chosen model cannot serve. */
    public static ApiException unprocessable(String param, String message) {
        return new ApiException(422, new ApiError(message, "invalid_request_error", param, "unsupported_by_model"));
    }
}
