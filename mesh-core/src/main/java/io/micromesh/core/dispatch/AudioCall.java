package io.micromesh.core.dispatch;

import io.micromesh.core.spi.PcmAudio;

/**
 * One transcription to dispatch.
 *
 * @param model        the model or route asked for
 * @param audio        the upload, decoded on demand at the sample rate of the engine that takes it
 * @param language     the ISO 639-1 language of the speech, or null when unknown
 * @param prompt       text that may guide the engine, or null
 * @param admission    its lane, deadline and affinity
 * @param requestId    its id, for the usage record
 * @param caller       whom it is served for (key and workflow)
 * @param task         the caller's task label, or null
 * @param arrivedNanos when it arrived, on the dispatcher's nanosecond ticker
 */
public record AudioCall(String model, Audio audio, String language, String prompt, Admission admission,
                        String requestId, Caller caller, String task, long arrivedNanos) {

    /** An upload that can be decoded into mono PCM at a given rate. */
    @FunctionalInterface
    public interface Audio {

        /**
         * The audio at {@code sampleRate}.
         *
         * @throws io.micromesh.core.MeshException {@code INVALID_REQUEST} when the upload is not audio that can be read
         */
        PcmAudio at(float sampleRate);
    }
}
