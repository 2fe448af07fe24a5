package io.micromesh.core.accounting;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** The period a budget is counted over, in UTC: a day, a calendar month, or for ever. */
public enum Period {
    DAY,
    MONTH,
    TOTAL;

    /** The start of the period that holds {@code now}; the epoch for {@link #TOTAL}. */
    public Instant start(Instant now) {
        LocalDate day = LocalDate.ofInstant(now, ZoneOffset.UTC);
        return switch (this) {
            case DAY -> day.atStartOfDay(ZoneOffset.UTC).toInstant();
            case MONTH -> day.withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
            case TOTAL -> Instant.EPOCH;
        };
    }

    /**
     * The moment a user wrote as an ISO-8601 instant ({@code 2026-12-04T09:00:00Z}) or a date
     * ({@code 2026-12-04}: its start in UTC), as usage windows and the planner take them.
     *
     * @throws java.time.format.DateTimeParseException when it is neither
     */
    public static Instant parseInstantOrDate(String value) {
        return value.length() == 10 ? LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(value);
    }

    /** The name used in the API ({@code day}, {@code month}, {@code total}). */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The period named {@code key}, if it is one. */
    public static Optional<Period> of(String key) {
        return Arrays.stream(values()).filter(p -> p.key().equals(key)).findFirst();
    }
}
