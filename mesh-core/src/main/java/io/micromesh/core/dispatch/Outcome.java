package io.micromesh.core.dispatch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.api.JsonBody;
import io.micromesh.core.MeshException;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.accounting.UsageRecord;
import io.micromesh.core.spi.Transcript;
import java.util.Optional;

/** How a dispatched request ended; every outcome carries the request's one {@link UsageRecord}. */
public sealed interface Outcome {

    /** The request's usage record, already handed to the usage sink. */
    UsageRecord usage();

    /**
     * Answered in one piece.
     *
     * @param body   the OpenAI response body, with the served model's id and {@code usage.cost_usd},
     *               {@code usage.energy_wh}: the upstream's bytes rewritten, or a tree
     * @param served who answered, and why
     */
    record Answered(JsonBody body, Served served, UsageRecord usage) implements Outcome {
    }

    /**
     * Streamed to the end (or until the client went away: {@code usage.status()} says which); the
     * edge ends the stream.
     */
    record Streamed(Served served, UsageRecord usage) implements Outcome {
    }

    /**
     * Transcribed.
     *
     * @param processingSeconds how long the engine worked on it
     * @param charge            its cost and energy
     */
    record Transcribed(Transcript transcript, double processingSeconds, Charge charge, Served served, UsageRecord usage)
            implements Outcome {

        /** The {@code usage} of OpenAI's transcription answers, with micromesh's cost, energy and engine time. */
        public ObjectNode usageJson() {
            return Json.object().put("type", "duration").put("seconds", Math.round(transcript.seconds() * 1000) / 1000.0)
                    .put("cost_usd", charge.costUsd()).put("energy_wh", charge.energyWh())
                    .put("processing_seconds", Math.round(processingSeconds * 1000) / 1000.0);
        }
    }

    /**
     * Not answered. When a stream had already started, the edge ends it with an error event.
     *
     * @param failure   why
     * @param lastTried the last model tried, when one was
     */
    record Failed(MeshException failure, Optional<Served> lastTried, UsageRecord usage) implements Outcome {
    }
}
