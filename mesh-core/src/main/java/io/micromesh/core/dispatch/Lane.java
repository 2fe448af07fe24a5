package io.micromesh.core.dispatch;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * A request's priority lane, highest first: people waiting ({@code interactive}), agents' fan-out
 * ({@code agent}), and work that only wants spare capacity ({@code batch}).
 */
public enum Lane {
    INTERACTIVE, AGENT, BATCH;

    /** The name in headers, configuration and metrics. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The lane of a name, if it is one. */
    public static Optional<Lane> of(String key) {
        return Arrays.stream(values()).filter(l -> l.key().equals(key)).findFirst();
    }

    /** The names, for messages. */
    public static String allowed() {
        return String.join(", ", Arrays.stream(values()).map(Lane::key).toList());
    }
}
