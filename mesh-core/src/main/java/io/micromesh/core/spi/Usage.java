package io.micromesh.core.spi;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import java.io.IOException;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What one request used, as the backend counted and measured it.
 *
 * @param prompt     prompt (input) tokens
 * @param completion completion (output) tokens
 * @param cpuSeconds CPU core-seconds a local engine worker measured and attributed to the request;
 *                   0 when the backend measures none (remote servers, the encoder)
 * @param raplJoules energy read from the worker machine's RAPL counters and attributed to the
 *                   request; 0 when the counters are not readable there
 * @param cachedPrompt the prompt tokens the upstream served from its prompt cache
 *                   ({@code prompt_tokens_details.cached_tokens}; part of {@code prompt}), 0 when none
 * @param estimated  whether the counts are micromesh's estimate, the upstream having reported none
 */
public record Usage(long prompt, long completion, double cpuSeconds, double raplJoules, long cachedPrompt,
                    boolean estimated) {

    public static final Usage NONE = new Usage(0, 0);

    /** The {@code usage} field in which an engine worker reports {@link #cpuSeconds}. */
    public static final String CPU_SECONDS = "cpu_seconds";
    /** The {@code usage} field in which an engine worker reports {@link #raplJoules}. */
    public static final String RAPL_JOULES = "rapl_joules";

    public Usage {
        if (prompt < 0 || completion < 0) {
            throw new IllegalArgumentException("token counts are not negative: " + prompt + ", " + completion);
        }
        cachedPrompt = Math.min(Math.max(0, cachedPrompt), prompt);
        if (!(cpuSeconds >= 0) || !(raplJoules >= 0)) {
            throw new IllegalArgumentException("measurements are not negative: " + cpuSeconds + " s, "
                    + raplJoules + " J");
        }
    }

    /** Token counts alone, nothing measured. */
    public Usage(long prompt, long completion) {
        this(prompt, completion, 0, 0, 0);
    }

    /** Token counts and measurements, no prompt cache. */
    public Usage(long prompt, long completion, double cpuSeconds, double raplJoules) {
        this(prompt, completion, cpuSeconds, raplJoules, 0, false);
    }

    /** Counts and measurements the upstream reported. */
    public Usage(long prompt, long completion, double cpuSeconds, double raplJoules, long cachedPrompt) {
        this(prompt, completion, cpuSeconds, raplJoules, cachedPrompt, false);
    }

    /**
     * micromesh's estimate of an answer whose upstream reported no usage: four bytes of the request
     * body per prompt token, and the completion tokens counted (one per streamed chunk) or estimated.
     */
    public static Usage estimate(long requestBytes, long completion) {
        return new Usage(requestBytes / 4 + 1, completion, 0, 0, 0, true);
    }

    /**
     * Reads an OpenAI {@code usage} object (chat's {@code prompt_tokens}/{@code completion_tokens} or the
     * Responses API's {@code input_tokens}/{@code output_tokens}), with the measurements of a micromesh
     * engine worker when present; missing or negative numbers count as 0.
     */
    public static Usage of(JsonNode usage) {
        boolean responses = !usage.has("prompt_tokens") && usage.has("input_tokens");
        return new Usage(Math.max(0, usage.path(responses ? "input_tokens" : "prompt_tokens").asLong(0)),
                Math.max(0, usage.path(responses ? "output_tokens" : "completion_tokens").asLong(0)),
                Math.max(0, usage.path(CPU_SECONDS).asDouble(0)),
                Math.max(0, usage.path(RAPL_JOULES).asDouble(0)),
                Math.max(0, usage.path(responses ? "input_tokens_details" : "prompt_tokens_details").path("cached_tokens")
                        .asLong(0)));
    }

    /**
     * Reads the {@code usage} of an OpenAI answer from its bytes without building a tree, checking on
     * the way that the bytes are one JSON object; missing or negative numbers count as 0. An answer
     * without a {@code usage} object gives zero counts marked {@link #estimated}: the caller estimates.
     *
     * @throws IllegalArgumentException when the bytes are not one well-formed JSON object
     */
    public static Usage ofAnswer(byte[] json) {
        return ofAnswer(json, null);
    }

    /**
     * Reads the {@code usage} of an OpenAI answer as {@link #ofAnswer(byte[])} does, checking also that
     * the answer has the list {@code list} ({@code choices}, {@code data}) at its top.
     *
     * @throws IllegalArgumentException when the bytes are not one well-formed JSON object, or lack the list
     */
    public static Usage ofAnswer(byte[] json, String list) {
        boolean listed = list == null;
        long prompt = 0;
        long completion = 0;
        double cpu = 0;
        double rapl = 0;
        long cached = 0;
        boolean reported = false;
        try (JsonParser p = Json.mapper().createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("usage") && value == JsonToken.START_OBJECT) {
                    reported = true;
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        JsonToken number = p.nextToken();
                        boolean numeric = number == JsonToken.VALUE_NUMBER_INT || number == JsonToken.VALUE_NUMBER_FLOAT;
                        switch (field) {
                            // chat's names, or the Responses API's
                            case "prompt_tokens", "input_tokens" -> prompt = numeric ? Math.max(0, p.getValueAsLong()) : 0;
                            case "completion_tokens", "output_tokens" -> completion = numeric ? Math.max(0, p.getValueAsLong()) : 0;
                            case CPU_SECONDS -> cpu = numeric ? Math.max(0, p.getValueAsDouble()) : 0;
                            case RAPL_JOULES -> rapl = numeric ? Math.max(0, p.getValueAsDouble()) : 0;
                            case "prompt_tokens_details", "input_tokens_details" ->
                                    cached = number == JsonToken.START_OBJECT ? cachedTokens(p) : 0;
                            default -> p.skipChildren();
                        }
                    }
                } else {
                    listed |= name.equals(list) && value == JsonToken.START_ARRAY;
                    p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new IllegalArgumentException("not one JSON object");
            }
            if (!listed) {
                throw new IllegalArgumentException("without '" + list + "'");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getMessage(), e);
        }
        return new Usage(prompt, completion, Double.isFinite(cpu) ? cpu : 0, Double.isFinite(rapl) ? rapl : 0, cached,
                !reported);
    }

    /** {@code cached_tokens} of the {@code prompt_tokens_details} object the parser is at the start of. */
    private static long cachedTokens(JsonParser p) throws IOException {
        long cached = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (field.equals("cached_tokens") && value == JsonToken.VALUE_NUMBER_INT) {
                cached = Math.max(0, p.getValueAsLong());
            } else {
                p.skipChildren();
            }
        }
        return cached;
    }

    /** Writes this usage into an OpenAI {@code usage} object, measurements included when there are any. */
    public ObjectNode writeTo(ObjectNode usage) {
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", total());
        if (cachedPrompt > 0) {
            usage.putObject("prompt_tokens_details").put("cached_tokens", cachedPrompt);
        }
        if (estimated) {
            usage.put("estimated", true);
        }
        if (cpuMeasured()) {
            usage.put(CPU_SECONDS, cpuSeconds);
        }
        if (raplMeasured()) {
            usage.put(RAPL_JOULES, raplJoules);
        }
        return usage;
    }

    /** The usage of two calls together (a cascade's attempts and checks). */
    public Usage plus(Usage other) {
        return new Usage(prompt + other.prompt, completion + other.completion, cpuSeconds + other.cpuSeconds,
                raplJoules + other.raplJoules, cachedPrompt + other.cachedPrompt, estimated || other.estimated);
    }

    /** Prompt plus completion. */
    public long total() {
        return prompt + completion;
    }

    /** Whether the backend measured the request's CPU time. */
    public boolean cpuMeasured() {
        return cpuSeconds > 0;
    }

    /** Whether the backend read the request's energy from RAPL counters. */
    public boolean raplMeasured() {
        return raplJoules > 0;
    }
}
