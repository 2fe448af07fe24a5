package io.micromesh.core.spi;

import io.micromesh.core.accounting.UsageRecord;
import java.util.List;

/**
 * Where the dispatcher sends the {@link UsageRecord} of every request, once it is over: metrics,
 * the ledger, traces. Called on the request's thread, so an implementation must not block on I/O
 * (buffer and write elsewhere) and must not throw. Thread-safe.
 */
@FunctionalInterface
public interface UsageSink {

    /** Takes the record of a request that is over. */
    void record(UsageRecord usage);

    /** A sink that keeps nothing. */
    UsageSink NONE = usage -> {
    };

    /** A sink that hands each record to every one of {@code sinks}, in order. */
    static UsageSink all(List<UsageSink> sinks) {
        List<UsageSink> copy = List.copyOf(sinks);
        return usage -> copy.forEach(sink -> sink.record(usage));
    }
}
