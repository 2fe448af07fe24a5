package io.micromesh.core.spi;

import io.micromesh.core.MeshException;

/**
 * A backend that turns speech into text ({@code /v1/audio/transcriptions}). Thread-safe and
 * blocking: call it from virtual threads; native engines run on their own bounded pool.
 */
public interface SpeechBackend {

    /** The sample rate, in hertz, of the mono PCM this backend takes. */
    float sampleRate();

    /**
     * Transcribes decoded audio.
     *
     * @param audio    mono 16-bit PCM at {@link #sampleRate()}
     * @param language the ISO 639-1 language of the speech, or null when unknown
     * @param prompt   text that may guide engines that take one, or null
     * @throws MeshException when the engine cannot transcribe it
     */
    Transcript transcribe(PcmAudio audio, String language, String prompt);

    /** The refusal of a text request by a model that only transcribes. */
    static MeshException refusesText(String model) {
        return MeshException.of(MeshException.Failure.REJECTED, "model '" + model + "' transcribes speech"
                + " (POST /v1/audio/transcriptions); it does not answer text requests", null);
    }

    /** CPU cores one transcription keeps busy, for its energy (0 when it runs elsewhere, such as a remote server). */
    default int coresPerTranscription() {
        return 1;
    }
}
