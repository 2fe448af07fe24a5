package io.micromesh.core.spi;

import com.fasterxml.jackson.databind.JsonNode;
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
 */
public record Usage(long prompt, long completion, double cpuSeconds, double raplJoules) {

    public static final Usage NONE = new Usage(0, 0);

    /** The {@code usage} field in which an engine worker reports {@link #cpuSeconds}. */
    public static final String CPU_SECONDS = "cpu_seconds";
    /** The {@code usage} field in which an engine worker reports {@link #raplJoules}. */
    public static final String RAPL_JOULES = "rapl_joules";

    public Usage {
        if (prompt < 0 || completion < 0) {
            throw new IllegalArgumentException("token counts are not negative: " + prompt + ", " + completion);
        }
        if (!(cpuSeconds >= 0) || !(raplJoules >= 0)) {
            throw new IllegalArgumentException("measurements are not negative: " + cpuSeconds + " s, "
                    + raplJoules + " J");
        }
    }

    /** Token counts alone, nothing measured. */
    public Usage(long prompt, long completion) {
        this(prompt, completion, 0, 0);
    }

    /**
     * Reads an OpenAI {@code usage} object, with the measurements of a micromesh engine worker
     * when present; missing or negative numbers count as 0.
     */
    public static Usage of(JsonNode usage) {
        return new Usage(Math.max(0, usage.path("prompt_tokens").asLong(0)),
                Math.max(0, usage.path("completion_tokens").asLong(0)),
                Math.max(0, usage.path(CPU_SECONDS).asDouble(0)),
                Math.max(0, usage.path(RAPL_JOULES).asDouble(0)));
    }

    /** Writes this usage into an OpenAI {@code usage} object, measurements included when there are any. */
    public ObjectNode writeTo(ObjectNode usage) {
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", total());
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
                raplJoules + other.raplJoules);
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
