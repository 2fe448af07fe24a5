package io.micromesh.cli.bench;

/**
 * One measured request. Times are {@link System#nanoTime()} readings.
 *
 * @param scheduled    when the request was due (its arrival; for a fixed concurrency, when a worker took it)
 * @param sent         when it was sent (later than {@code scheduled} when every worker was busy)
 * @param firstToken   when the first content arrived (first chunk with text, or the whole answer); -1 on error
 * @param end          when the answer was complete or the request failed
 * @param promptTokens {@code usage.prompt_tokens}
 * @param outputTokens {@code usage.completion_tokens}, else the number of content chunks
 * @param tokenGaps    the gaps between successive content chunks of a stream, in nanoseconds
 * @param error        the kind of failure ({@code http_503}, {@code timeout}, {@code connect},
 *                     {@code broken_stream}, {@code bad_response}), or null
 * @param detail       what the server said about a failure (the start of its error body), or null
 * @param costUsd      {@code usage.cost_usd}, 0 when absent
 * @param energyWh     {@code usage.energy_wh}, 0 when absent
 * @param audioSeconds a transcription's {@code usage.seconds}: the audio's length; 0 for text
 * @param processingSeconds a transcription's {@code usage.processing_seconds}: the engine's time on it
 */
public record Sample(long scheduled, long sent, long firstToken, long end, long promptTokens, long outputTokens,
                     long[] tokenGaps, String error, String detail, double costUsd, double energyWh,
                     double audioSeconds, double processingSeconds) {

    /** A request that failed. */
    static Sample failed(long scheduled, long sent, long end, String error, String detail) {
        return new Sample(scheduled, sent, -1, end, 0, 0, new long[0], error, detail, 0, 0, 0, 0);
    }

    /** Whether it succeeded. */
    public boolean ok() {
        return error == null;
    }
}
