package io.micromesh.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.stream.Collectors;

/** How a route chooses a model of the portfolio for a request (see {@code Router}). */
public enum RoutePolicy {
    /** Its one candidate: an alias. */
    FIXED("fixed"),
    /** The candidates in order, the next tried when one fails retriably. */
    FALLBACK("fallback"),
    /** The model of the first rule whose conditions hold, else the default. */
    RULES("rules"),
    /** The model of the intent whose examples are nearest to the request, else the default. */
    SEMANTIC("semantic"),
    /** The cheapest candidate whose predicted success is within a tolerance of the best. */
    COST_QUALITY("cost-quality"),
    /** Every candidate from the cheapest up, escalating when an answer fails its checks. */
    CASCADE("cascade");

    private final String key;

    RoutePolicy(String key) {
        this.key = key;
    }

    /** The name in the configuration, headers, metrics and usage records. */
    @JsonValue
    public String key() {
        return key;
    }

    /** The policy of a name. */
    @JsonCreator
    public static RoutePolicy of(String key) {
        return Arrays.stream(values()).filter(p -> p.key.equals(key)).findFirst()
                .orElseThrow(() -> new ConfigException("", "'" + key + "' is not allowed; allowed: " + allowed()));
    }

    /** The names, for messages. */
    public static String allowed() {
        return Arrays.stream(values()).map(RoutePolicy::key).collect(Collectors.joining(", "));
    }

    /** Whether the policy embeds the request's text with an in-process encoder. */
    public boolean embeds() {
        return this == SEMANTIC || this == COST_QUALITY;
    }

    /** Whether the policy chooses without the request's text, so that it can route audio. */
    public boolean choosesWithoutText() {
        return this == FIXED || this == FALLBACK || this == RULES;
    }

    /** Whether the candidates after the chosen one take the request when it fails (or its answer fails its checks). */
    public boolean escalates() {
        return this == COST_QUALITY || this == CASCADE;
    }

    @Override
    public String toString() {
        return key;
    }
}
