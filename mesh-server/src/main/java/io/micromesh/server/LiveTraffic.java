package io.micromesh.server;

import io.micromesh.core.accounting.UsageRecord;
import io.micromesh.core.spi.UsageSink;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * What the dashboard shows of the last minutes, kept in memory: requests and tokens in ten-second
 * buckets over fifteen minutes, and per model the latencies and times to first token of its last
 * {@value #SAMPLES} requests (for p50 and p99). Fed by the dispatcher's usage records. Thread-safe.
 */
final class LiveTraffic implements UsageSink {

    static final int BUCKET_SECONDS = 10;
    static final int BUCKETS = 90;
    static final int SAMPLES = 1000;

    private final LongSupplier millis;
    private final long[] bucketStart = new long[BUCKETS];   // guarded by this
    private final long[] requests = new long[BUCKETS];      // guarded by this
    private final long[] tokens = new long[BUCKETS];        // guarded by this
    private final Map<String, Samples> latency = new ConcurrentHashMap<>();
    private final Map<String, Samples> firstToken = new ConcurrentHashMap<>();

    LiveTraffic(LongSupplier millis) {
        this.millis = millis;
    }

    @Override
    public void record(UsageRecord usage) {
        long now = millis.getAsLong();
        long start = now - Math.floorMod(now, BUCKET_SECONDS * 1000L);
        int slot = (int) Math.floorMod(start / (BUCKET_SECONDS * 1000L), (long) BUCKETS);
        synchronized (this) {
            if (bucketStart[slot] != start) {
                bucketStart[slot] = start;
                requests[slot] = 0;
                tokens[slot] = 0;
            }
            requests[slot]++;
            tokens[slot] += usage.promptTokens() + usage.completionTokens();
        }
        if (!usage.model().isEmpty() && usage.ok()) {
            latency.computeIfAbsent(usage.model(), m -> new Samples()).add(usage.latencyNanos() / 1e6);
            if (usage.ttftNanos() >= 0) {
                firstToken.computeIfAbsent(usage.model(), m -> new Samples()).add(usage.ttftNanos() / 1e6);
            }
        }
    }

    /** One bucket of the series: its start (epoch ms), requests a second and tokens a second. */
    record Point(long startMs, double requestsPerS, double tokensPerS) {
    }

    /** The last fifteen minutes, oldest first, buckets without traffic at zero. */
    synchronized List<Point> series() {
        long now = millis.getAsLong();
        long current = now - Math.floorMod(now, BUCKET_SECONDS * 1000L);
        List<Point> points = new ArrayList<>(BUCKETS);
        for (int back = BUCKETS - 1; back >= 0; back--) {
            long start = current - back * BUCKET_SECONDS * 1000L;
            int slot = (int) Math.floorMod(start / (BUCKET_SECONDS * 1000L), (long) BUCKETS);
            boolean live = bucketStart[slot] == start;
            points.add(new Point(start, live ? requests[slot] / (double) BUCKET_SECONDS : 0,
                    live ? tokens[slot] / (double) BUCKET_SECONDS : 0));
        }
        return points;
    }

    /** The {@code q} quantile (0 to 1) of a model's recent latencies in ms, or -1 without any. */
    double latencyMs(String model, double q) {
        Samples s = latency.get(model);
        return s == null ? -1 : s.quantile(q);
    }

    /** The {@code q} quantile of a model's recent times to first token in ms, or -1 without any. */
    double firstTokenMs(String model, double q) {
        Samples s = firstToken.get(model);
        return s == null ? -1 : s.quantile(q);
    }

    /** The last {@value #SAMPLES} values, in a ring. */
    private static final class Samples {
        private final double[] values = new double[SAMPLES];
        private int count;
        private int next;

        synchronized void add(double value) {
            values[next] = value;
            next = (next + 1) % SAMPLES;
            count = Math.min(count + 1, SAMPLES);
        }

        synchronized double quantile(double q) {
            if (count == 0) {
                return -1;
            }
            double[] sorted = Arrays.copyOf(values, count);
            Arrays.sort(sorted);
            return sorted[Math.min(count - 1, (int) Math.ceil(q * count) - 1 < 0 ? 0 : (int) Math.ceil(q * count) - 1)];
        }
    }
}
