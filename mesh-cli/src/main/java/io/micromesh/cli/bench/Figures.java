package io.micromesh.cli.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * What a run measured, in the terms serving engineers use (after vLLM's serving benchmark).
 * Latencies count from when a request was due, so that in a fixed-rate run the time it waited for
 * a free worker is in them; {@code queue} says how much that was. Percentiles are exact (nearest
 * rank over every sample), since a run holds at most a few million samples.
 *
 * @param requests     requests measured
 * @param errors       requests that failed
 * @param errorsByKind failures by kind ({@code http_503}, {@code timeout}, {@code broken_stream} ...)
 * @param firstErrors  for each kind, what the server said the first time
 * @param seconds      from the first request's due time to the last answer
 * @param requestsPerS successful requests per second
 * @param inputTokensPerS  prompt tokens of successful requests per second
 * @param outputTokensPerS completion tokens of successful requests per second
 * @param e2e          end-to-end latency, ms
 * @param ttft         time to first token (to the whole answer when not streaming), ms
 * @param itl          inter-token latency: gaps between successive content chunks of streams, ms
 * @param tpot         time per output token after the first, per request, ms
 * @param queue        wait for a free worker before sending, ms
 * @param costUsd      sum of {@code usage.cost_usd}
 * @param energyWh     sum of {@code usage.energy_wh}
 * @param audioSecondsPerS for transcriptions: seconds of audio transcribed per second of the run (0 for text)
 * @param realTimeFactor   for transcriptions: the engines' processing time over the audio's length,
 *                         from {@code usage.processing_seconds} (0 when not reported)
 */
public record Figures(long requests, long errors, Map<String, Long> errorsByKind, Map<String, String> firstErrors,
                      double seconds,
                      double requestsPerS, double inputTokensPerS, double outputTokensPerS,
                      Stats e2e, Stats ttft, Stats itl, Stats tpot, Stats queue, double costUsd, double energyWh,
                      double audioSecondsPerS, double realTimeFactor) {

    /** Mean and percentiles of one latency, in milliseconds; all 0 when there is no sample. */
    public record Stats(double mean, double p50, double p90, double p99, long count) {

        static final Stats NONE = new Stats(0, 0, 0, 0, 0);

        static Stats of(double[] values) {
            if (values.length == 0) {
                return NONE;
            }
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            return new Stats(Arrays.stream(sorted).average().orElse(0), rank(sorted, 0.50), rank(sorted, 0.90),
                    rank(sorted, 0.99), sorted.length);
        }

        private static double rank(double[] sorted, double quantile) {
            int index = (int) Math.ceil(quantile * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
        }
    }

    /** The figures of a run. */
    public static Figures of(LoadGenerator.Run run) {
        List<Sample> ok = run.samples().stream().filter(Sample::ok).toList();
        Map<String, Long> errors = new TreeMap<>();
        Map<String, String> first = new TreeMap<>();
        run.samples().stream().filter(s -> !s.ok()).forEach(s -> {
            errors.merge(s.error(), 1L, Long::sum);
            first.putIfAbsent(s.error(), String.valueOf(s.detail()));
        });
        double seconds = run.seconds();
        long input = ok.stream().mapToLong(Sample::promptTokens).sum();
        long output = ok.stream().mapToLong(Sample::outputTokens).sum();
        double audio = ok.stream().mapToDouble(Sample::audioSeconds).sum();
        double[] gaps = ok.stream().flatMapToLong(s -> Arrays.stream(s.tokenGaps())).mapToDouble(n -> n / 1e6).toArray();
        double[] tpot = ok.stream().filter(s -> s.outputTokens() > 1)
                .mapToDouble(s -> (s.end() - s.firstToken()) / 1e6 / (s.outputTokens() - 1)).toArray();
        return new Figures(run.samples().size(), run.samples().size() - ok.size(), errors, first, seconds,
                ok.size() / seconds, input / seconds, output / seconds,
                ms(ok, s -> s.end() - s.scheduled()), ms(ok, s -> s.firstToken() - s.scheduled()), Stats.of(gaps),
                Stats.of(tpot), ms(run.samples(), s -> s.sent() - s.scheduled()),
                ok.stream().mapToDouble(Sample::costUsd).sum(), ok.stream().mapToDouble(Sample::energyWh).sum(),
                audio / seconds, audio > 0 ? ok.stream().mapToDouble(Sample::processingSeconds).sum() / audio : 0);
    }

    private static Stats ms(List<Sample> samples, ToDoubleFunction<Sample> nanos) {
        return Stats.of(samples.stream().mapToDouble(s -> nanos.applyAsDouble(s) / 1e6).toArray());
    }

    /** The figures as one flat JSON object (the keys of the result line). */
    public ObjectNode toJson() {
        ObjectNode json = Json.object();
        json.put("requests", requests).put("ok", requests - errors).put("errors", errors);
        ObjectNode kinds = json.putObject("errors_by_kind");
        errorsByKind.forEach(kinds::put);
        json.put("duration_s", round(seconds)).put("requests_per_s", round(requestsPerS))
                .put("input_tokens_per_s", round(inputTokensPerS)).put("output_tokens_per_s", round(outputTokensPerS));
        put(json, "", e2e);
        put(json, "ttft_", ttft);
        put(json, "itl_", itl);
        put(json, "tpot_", tpot);
        json.put("queue_p99_ms", round(queue.p99()));
        json.put("cost_usd", costUsd).put("energy_wh", energyWh);
        if (audioSecondsPerS > 0) {
            json.put("audio_seconds_per_s", round(audioSecondsPerS)).put("real_time_factor", Math.round(realTimeFactor * 1e5) / 1e5);
        }
        return json;
    }

    private static void put(ObjectNode json, String prefix, Stats stats) {
        json.put(prefix + "mean_ms", round(stats.mean())).put(prefix + "p50_ms", round(stats.p50()))
                .put(prefix + "p90_ms", round(stats.p90())).put(prefix + "p99_ms", round(stats.p99()));
    }

    /** Rounds to three decimals, for JSON that people read. */
    public static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
