package io.micromesh.core.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The identity of a request for the response cache: a digest of the name asked for, the caller's
 * scope (its key, or everyone for a shared cache) and the request normalized — every field that
 * changes the answer (messages, tools, response format, sampling parameters ...), written with its
 * object keys sorted and its numbers in one form, so that {@code {"temperature":0}} and
 * {@code {"temperature":0.0}} are the same request. Fields that do not change the answer
 * ({@code stream}, {@code stream_options}, {@code user}, {@code metadata} ...) are left out, so a
 * streamed request and a whole one share their answer.
 *
 * @param digest SHA-256 of the normalized request, in hex
 */
public record CacheKey(String digest) {

    /** Fields that say how to deliver or label an answer, not what it is. */
    private static final Set<String> NOT_THE_ANSWER = Set.of("model", "stream", "stream_options", "user", "metadata",
            "store", "service_tier", "safety_identifier", "prompt_cache_key");

    /**
     * The key of a request.
     *
     * @param name  the model or route asked for
     * @param scope whose answers it may get: a key's id, or {@code *} for a shared cache
     */
    public static CacheKey of(String name, String scope, ObjectNode body) {
        StringBuilder text = new StringBuilder(256).append(name).append('\n').append(scope).append('\n');
        List<String> fields = new ArrayList<>();
        body.fieldNames().forEachRemaining(fields::add);
        fields.sort(null);
        text.append('{');
        for (String field : fields) {
            if (!NOT_THE_ANSWER.contains(field)) {
                text.append('"').append(field).append("\":");
                canonical(body.get(field), text);
                text.append(',');
            }
        }
        text.append('}');
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return new CacheKey(HexFormat.of().formatHex(hash));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Whether a request asks for an answer meant to repeat: {@code temperature} 0, or a {@code seed}. */
    public static boolean deterministic(ObjectNode body) {
        JsonNode temperature = body.get("temperature");
        return temperature != null && temperature.isNumber() && temperature.asDouble() == 0 || body.hasNonNull("seed");
    }

    private static void canonical(JsonNode node, StringBuilder out) {
        if (node.isObject()) {
            List<Map.Entry<String, JsonNode>> entries = new ArrayList<>(node.properties());
            entries.sort(Map.Entry.comparingByKey());
            out.append('{');
            for (Map.Entry<String, JsonNode> entry : entries) {
                out.append(quoted(entry.getKey())).append(':');
                canonical(entry.getValue(), out);
                out.append(',');
            }
            out.append('}');
        } else if (node.isArray()) {
            out.append('[');
            for (JsonNode item : node) {
                canonical(item, out);
                out.append(',');
            }
            out.append(']');
        } else if (node.isNumber()) {
            out.append(node.decimalValue().stripTrailingZeros().toPlainString());
        } else {
            out.append(node);  // strings, booleans and null in JSON's own escaping
        }
    }

    private static String quoted(String text) {
        return com.fasterxml.jackson.databind.node.TextNode.valueOf(text).toString();
    }
}
