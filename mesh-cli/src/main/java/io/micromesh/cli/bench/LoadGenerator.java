package io.micromesh.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.micromesh.api.Json;
import io.micromesh.api.SseReader;
import io.micromesh.engines.http.WebClients;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends a workload to an OpenAI-compatible endpoint and times every request. Two disciplines: a
 * fixed concurrency (closed loop: N workers, each sends its next request when its last one is
 * answered) and a fixed rate (open loop: arrivals of a Poisson process, served by at most N
 * workers; a request that finds every worker busy waits, and its wait counts in its latency, as it
 * would for a real client). Workers are virtual threads started once per run, never one per
 * request; the HTTP client is Helidon's blocking WebClient with pooled keep-alive connections, the
 * fastest client measured on this project's machines (docs/benchmarks.md).
 */
public final class LoadGenerator {

    /**
     * How hard to push.
     *
     * @param concurrency workers (for a rate: the most requests in flight)
     * @param rate        requests per second of a Poisson process; null for a closed loop
     * @param requests    measured requests; null to run for {@code duration}
     * @param duration    how long to send measured requests, when {@code requests} is null
     * @param warmup      requests sent first and not measured
     * @param seed        fixes the arrival times
     */
    public record Load(int concurrency, Double rate, Integer requests, Duration duration, int warmup, long seed) {
        public Load {
            if (concurrency < 1) {
                throw new BenchException("--concurrency must be at least 1, got " + concurrency);
            }
            if (rate != null && !(rate > 0)) {
                throw new BenchException("--rate must be a positive number of requests per second, got " + rate);
            }
            if (requests == null && duration == null) {
                throw new BenchException("give --requests or --duration");
            }
            if (requests != null && requests < 1) {
                throw new BenchException("--requests must be at least 1, got " + requests);
            }
            if (warmup < 0) {
                throw new BenchException("--warmup must not be negative, got " + warmup);
            }
        }
    }

    /** The measured requests of a run and how long the run took. */
    public record Run(List<Sample> samples, double seconds, Load load) {
    }

    private final URI base;
    private final Optional<String> authorization;
    private final Map<String, String> headers;
    private final Http1Client http;

    /**
     * @param base    the API's base URL, ending in {@code /v1}
     * @param apiKey  bearer token, or null
     * @param timeout longest silence of the server before a request counts as a timeout
     * @param connections keep-alive connections to pool (the largest concurrency of the benchmark)
     * @param headers extra request headers (for micromesh: {@code x-mesh-priority} and the like)
     */
    public LoadGenerator(URI base, String apiKey, Duration timeout, int connections, Map<String, String> headers) {
        this.base = base;
        this.headers = Map.copyOf(headers);
        this.authorization = Optional.ofNullable(apiKey).filter(k -> !k.isBlank()).map(k -> "Bearer " + k);
        this.http = WebClients.pooled(Duration.ofSeconds(10), timeout, connections);
    }

    /** Runs the warm-up, then the measured load. */
    public Run run(Workload workload, Load load) {
        if (load.warmup() > 0) {
            closedLoop(workload, load.concurrency(), load.warmup(), null, new AtomicLong());
        }
        AtomicLong sequence = new AtomicLong(load.warmup());
        long start = System.nanoTime();
        List<Sample> samples = load.rate() == null
                ? closedLoop(workload, load.concurrency(), load.requests(), load.duration(), sequence)
                : openLoop(workload, load, sequence);
        long end = samples.stream().mapToLong(Sample::end).max().orElse(System.nanoTime());
        long first = samples.stream().mapToLong(Sample::scheduled).min().orElse(start);
        return new Run(samples, Math.max(1e-9, (end - first) / 1e9), load);
    }

    /** Releases the pooled connections. */
    public void close() {
        http.closeResource();
    }

    private List<Sample> closedLoop(Workload workload, int workers, Integer requests, Duration duration, AtomicLong sequence) {
        List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
        long limit = requests == null ? Long.MAX_VALUE : sequence.get() + requests;
        List<Thread> threads = new ArrayList<>(workers);
        for (int w = 0; w < workers; w++) {
            threads.add(Thread.ofVirtual().name("bench-worker-", w).start(() -> {
                long i;
                while (System.nanoTime() < deadline && (i = sequence.getAndIncrement()) < limit) {
                    long now = System.nanoTime();
                    samples.add(send(workload, i, now));
                }
            }));
        }
        joinAll(threads);
        return new ArrayList<>(samples);
    }

    private record Arrival(long index, long due) {
    }

    private static final Arrival END = new Arrival(-1, 0);

    private List<Sample> openLoop(Workload workload, Load load, AtomicLong sequence) {
        List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        BlockingQueue<Arrival> arrivals = new ArrayBlockingQueue<>(1 << 16);
        List<Thread> threads = new ArrayList<>(load.concurrency());
        for (int w = 0; w < load.concurrency(); w++) {
            threads.add(Thread.ofVirtual().name("bench-worker-", w).start(() -> {
                try {
                    Arrival arrival;
                    while ((arrival = arrivals.take()) != END) {
                        samples.add(send(workload, arrival.index(), arrival.due()));
                    }
                    arrivals.put(END);  // pass the end on to the next worker
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        Random random = new Random(load.seed());
        double meanGapNanos = 1e9 / load.rate();
        long start = System.nanoTime();
        long deadline = load.duration() == null ? Long.MAX_VALUE : start + load.duration().toNanos();
        long limit = load.requests() == null ? Long.MAX_VALUE : load.requests();
        double due = start;
        try {
            for (long n = 0; n < limit; n++) {
                if (n > 0) {
                    due += -Math.log(1 - random.nextDouble()) * meanGapNanos;  // exponential gaps: Poisson arrivals
                }
                if ((long) due >= deadline) {
                    break;
                }
                long wait = (long) due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                if (!arrivals.offer(new Arrival(sequence.getAndIncrement(), (long) due), 1, TimeUnit.MINUTES)) {
                    throw new BenchException("the workers took no request for a minute: the endpoint is stuck");
                }
            }
            arrivals.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        joinAll(threads);
        return new ArrayList<>(samples);
    }

    private static void joinAll(List<Thread> threads) {
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Sends one request and times it; never throws. */
    private Sample send(Workload workload, long index, long scheduled) {
        long sent = System.nanoTime();
        Http1ClientRequest request = http.post().uri(base + workload.path())
                .header(HeaderNames.CONTENT_TYPE, workload.contentType());
        authorization.ifPresent(value -> request.header(HeaderNames.AUTHORIZATION, value));
        headers.forEach((name, value) -> request.header(HeaderNames.create(name), value));
        try (HttpClientResponse response = request.submit(workload.body(index))) {
            int status = response.status().code();
            if (status != 200) {
                byte[] body = response.inputStream().readNBytes(300);
                return Sample.failed(scheduled, sent, System.nanoTime(), "http_" + status,
                        new String(body, StandardCharsets.UTF_8).strip());
            }
            String type = response.headers().contentType().map(Object::toString).orElse("");
            return type.startsWith("text/event-stream")
                    ? stream(response, scheduled, sent)
                    : whole(response.inputStream().readAllBytes(), scheduled, sent);
        } catch (IOException | RuntimeException e) {
            return Sample.failed(scheduled, sent, System.nanoTime(), kind(e), String.valueOf(e.getMessage()));
        }
    }

    private static Sample whole(byte[] body, long scheduled, long sent) {
        long end = System.nanoTime();
        JsonNode answer;
        try {
            answer = Json.mapper().readTree(body);
        } catch (IOException e) {
            return Sample.failed(scheduled, sent, end, "bad_response", null);
        }
        if (answer == null || !(answer.has("choices") || answer.has("data") || answer.has("policy") || answer.has("text"))) {
            return Sample.failed(scheduled, sent, end, "bad_response", null);
        }
        JsonNode usage = answer.path("usage");
        boolean audio = usage.path("type").asText().equals("duration");
        return new Sample(scheduled, sent, end, end, usage.path("prompt_tokens").asLong(0),
                usage.path("completion_tokens").asLong(0), new long[0], null, null,
                usage.path("cost_usd").asDouble(0), usage.path("energy_wh").asDouble(0),
                audio ? usage.path("seconds").asDouble(0) : 0, audio ? usage.path("processing_seconds").asDouble(0) : 0);
    }

    private static Sample stream(HttpClientResponse response, long scheduled, long sent) throws IOException {
        long first = -1;
        long last = -1;
        long chunks = 0;
        List<Long> gaps = new ArrayList<>();
        JsonNode usage = null;
        try (SseReader events = new SseReader(response.inputStream())) {
            Optional<String> data;
            while ((data = events.next()).isPresent()) {
                long now = System.nanoTime();
                if (data.get().equals("[DONE]")) {
                    long[] tokenGaps = gaps.stream().mapToLong(Long::longValue).toArray();
                    long output = usage != null && usage.has("completion_tokens") ? usage.get("completion_tokens").asLong() : chunks;
                    return new Sample(scheduled, sent, first < 0 ? now : first, now,
                            usage == null ? 0 : usage.path("prompt_tokens").asLong(0), output, tokenGaps, null, null,
                            usage == null ? 0 : usage.path("cost_usd").asDouble(0),
                            usage == null ? 0 : usage.path("energy_wh").asDouble(0), 0, 0);
                }
                JsonNode chunk = Json.mapper().readTree(data.get().getBytes(StandardCharsets.UTF_8));
                if (chunk.has("error")) {
                    return Sample.failed(scheduled, sent, now, "broken_stream", chunk.get("error").toString());
                }
                if (chunk.path("usage").isObject()) {
                    usage = chunk.get("usage");
                }
                if (hasContent(chunk)) {
                    chunks++;
                    if (first < 0) {
                        first = now;
                    } else {
                        gaps.add(now - last);
                    }
                    last = now;
                }
            }
        }
        return Sample.failed(scheduled, sent, System.nanoTime(), "broken_stream", "the stream ended without [DONE]");
    }

    private static boolean hasContent(JsonNode chunk) {
        for (JsonNode choice : chunk.path("choices")) {
            if (!choice.path("delta").path("content").asText("").isEmpty() || !choice.path("text").asText("").isEmpty()) {
                return true;
            }
        }
        return false;
    }

    private static String kind(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SocketTimeoutException) {
                return "timeout";
            }
            if (cause instanceof ConnectException) {
                return "connect";
            }
            if (cause instanceof com.fasterxml.jackson.core.JsonProcessingException) {
                return "bad_response";
            }
        }
        return "broken_stream";
    }
}
