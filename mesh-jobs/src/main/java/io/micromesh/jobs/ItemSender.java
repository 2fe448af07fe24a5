package io.micromesh.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.JsonBody;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where a job's requests go, each in the {@code batch} lane: the portfolio running in this process
 * (through its dispatcher, no HTTP), or an OpenAI-compatible server — micromesh's gateway first of
 * all — over HTTP ({@link HttpItemSender}). One attempt per call: retrying is the job's.
 */
public interface ItemSender extends AutoCloseable {

    /** One request of an item. */
    sealed interface Request {

        /** The item's id, for the record of the request. */
        String itemId();

        /**
         * A JSON request.
         *
         * @param path the API path: {@code /v1/chat/completions}, {@code /v1/completions} or {@code /v1/embeddings}
         * @param body the request body
         */
        record Json(String itemId, String path, ObjectNode body) implements Request {
        }

        /**
         * A transcription, answered in {@code verbose_json} with segment times.
         *
         * @param model    the model or route that transcribes
         * @param fileName the audio's file name, for the form
         * @param audio    the audio file's bytes
         */
        record Audio(String itemId, String model, String fileName, byte[] audio) implements Request {
        }
    }

    /** How one attempt ended. */
    sealed interface Reply {

        /**
         * Answered.
         *
         * @param body     the answer, as it came (bytes from a server, what the dispatcher made in process)
         * @param costUsd  its {@code usage.cost_usd}, 0 when absent
         * @param energyWh its {@code usage.energy_wh}, 0 when absent
         * @param tokens   its prompt and completion tokens
         * @param requestId the id the gateway gave the request ({@code x-request-id}), or null when it gave none
         */
        record Answered(JsonBody body, double costUsd, double energyWh, long tokens, String requestId) implements Reply {
        }

        /**
         * Not answered.
         *
         * @param status     the HTTP status a client of the gateway would have got, -1 when the server was not reached
         * @param code       a short name for the failure, for the error line ({@code http_429}, {@code connection_failed})
         * @param message    what went wrong
         * @param retriable  whether another attempt may succeed
         * @param retryAfter how long the gateway or a backend asked to wait, if it said
         */
        record Failed(int status, String code, String message, boolean retriable, Optional<Duration> retryAfter)
                implements Reply {
        }

        /**
         * Not served because the job's caller may not spend more: its key's budget (or its workflow's)
         * is used up. The job stops sending and the item stays pending, so that the job can be resumed
         * once the budget allows; it is not the item's failure.
         *
         * @param message what the gateway said, naming the budget
         */
        record Refused(String message) implements Reply {
        }
    }

    /**
     * Makes one attempt and waits for the whole answer (never a stream). Failures are replies, not
     * exceptions.
     *
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted: the
     *                                                    item stays pending for a resumed run
     */
    Reply send(Request request);

    /** The route and model names the portfolio serves ({@code GET /v1/models}). */
    List<String> models() throws IOException;

    @Override
    void close();
}
