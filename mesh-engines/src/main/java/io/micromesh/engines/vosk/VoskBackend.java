package io.micromesh.engines.vosk;

import io.micromesh.api.MeshRequest;
import io.micromesh.core.config.Hardware;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.spi.Backend;
import io.micromesh.core.MeshException;
import io.micromesh.core.spi.BackendHealth;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ChunkSink;
import io.micromesh.core.spi.PcmAudio;
import io.micromesh.core.spi.SpeechBackend;
import io.micromesh.core.spi.Transcript;
import io.micromesh.core.spi.Usage;
import io.micromesh.engines.NativePool;
import java.nio.file.Path;
import java.util.Locale;

/**
 * An {@code engine: vosk} model: speech to text in-process with Vosk, by default on its small
 * English model (bundled; see {@link VoskModelFiles}). Transcriptions run on a pool of platform
 * threads, one per core of the model's hardware share (all cores by default): Vosk's calls are
 * native and long, and must not pin a virtual thread's carrier. Vosk's English model knows English
 * only: another {@code language} is refused.
 */
public final class VoskBackend implements Backend, SpeechBackend {

    private final String id;
    private final VoskTranscriber transcriber;
    private final NativePool natives;

    private VoskBackend(String id, VoskTranscriber transcriber, int threads) {
        this.id = id;
        this.transcriber = transcriber;
        this.natives = new NativePool("Vosk", "vosk-" + id, threads);
    }

    /** Loads the bundled English model (unpacked into {@code cache} on first use). */
    public static VoskBackend open(ModelSpec spec, Path cache) {
        int threads = spec.hardwareShare().flatMap(Hardware::cpu).map(Hardware.Cpu::cores)
                .orElse(Runtime.getRuntime().availableProcessors());
        return new VoskBackend(spec.id(), VoskTranscriber.load(VoskModelFiles.english(cache)), threads);
    }

    @Override
    public float sampleRate() {
        return VoskTranscriber.SAMPLE_RATE;
    }

    @Override
    public Transcript transcribe(PcmAudio audio, String language, String prompt) {
        if (language != null && !language.isBlank() && !language.toLowerCase(Locale.ROOT).startsWith("en")) {
            throw MeshException.of(MeshException.Failure.REJECTED, "model '" + id + "' (Vosk's English model)"
                    + " transcribes English only, not '" + language + "'", null);
        }
        return natives.call(() -> {
            // timed on the pool's thread: a wait for a free recognizer thread is not work, and must
            // not be charged as energy (64 calls queued on 2 threads once counted 14 times over)
            long started = System.nanoTime();
            return transcriber.transcribe(audio).processedIn((System.nanoTime() - started) / 1e9);
        });
    }

    @Override
    public BackendReply call(MeshRequest request) {
        throw SpeechBackend.refusesText(id);
    }

    @Override
    public Usage stream(MeshRequest request, ChunkSink sink) {
        throw SpeechBackend.refusesText(id);
    }


    @Override
    public BackendHealth health() {
        return BackendHealth.ready("Vosk English model loaded");
    }

    @Override
    public void close() {
        if (natives.drain()) {
            transcriber.close();  // else a transcription still runs on the model: leave it rather than crash
        }
    }
}
