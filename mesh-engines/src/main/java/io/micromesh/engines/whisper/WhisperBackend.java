package io.micromesh.engines.whisper;

import io.github.givimad.whisperjni.WhisperContext;
import io.github.givimad.whisperjni.WhisperFullParams;
import io.github.givimad.whisperjni.WhisperJNI;
import io.github.givimad.whisperjni.WhisperSamplingStrategy;
import io.github.givimad.whisperjni.WhisperState;
import io.micromesh.api.MeshRequest;
import io.micromesh.core.config.Hardware;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.spi.Backend;
import io.micromesh.core.MeshException;
import io.micromesh.core.MeshException.Failure;
import io.micromesh.core.spi.BackendHealth;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ChunkSink;
import io.micromesh.core.spi.PcmAudio;
import io.micromesh.core.spi.SpeechBackend;
import io.micromesh.core.spi.Transcript;
import io.micromesh.core.spi.Usage;
import io.micromesh.engines.NativePool;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An {@code engine: whisper-cpp} model: speech to text in-process with whisper.cpp through
 * whisper-jni, on a model file the user supplies. The file's header is checked in Java first
 * ({@link WhisperModelFile}): whisper.cpp aborts the JVM on a file of another kind. Transcriptions
 * run on {@code slots} platform threads (native calls must not pin a virtual thread's carrier),
 * each with its own decoding state over the one loaded model and {@link #coresPerTranscription()}
 * threads of whisper.cpp's own. whisper-jni 1.7.1 gives segments with times, not word times. An
 * English-only model refuses another {@code language}; a multilingual one detects the language
 * when none is given. Thread-safe.
 */
public final class WhisperBackend implements Backend, SpeechBackend {

    private static final Logger LOG = Logger.getLogger(WhisperBackend.class.getName());
    private static final float SAMPLE_RATE = 16_000f;
    private static final Object LIBRARY = new Object();
    private static boolean loaded;

    private final String id;
    private final WhisperModelFile header;
    private final WhisperJNI whisper;
    private final WhisperContext context;
    private final int threads;
    private final NativePool natives;
    private final ThreadLocal<WhisperState> states = new ThreadLocal<>();
    private final List<WhisperState> allStates = new ArrayList<>();

    private WhisperBackend(String id, WhisperModelFile header, WhisperJNI whisper, WhisperContext context, int slots,
                           int threads) {
        this.id = id;
        this.header = header;
        this.whisper = whisper;
        this.context = context;
        this.threads = threads;
        this.natives = new NativePool("whisper.cpp", "whisper-" + id, slots);
    }

    /**
     * Checks the model file, then loads it.
     *
     * @throws WhisperModelFile.InvalidModelFile when the file is missing or not a whisper.cpp model
     *                                          (nothing native has run then)
     */
    public static WhisperBackend open(ModelSpec.WhisperCpp spec) throws WhisperModelFile.InvalidModelFile {
        Path file = Path.of(spec.file());
        WhisperModelFile header = WhisperModelFile.check(file);
        int cores = spec.hardwareShare().flatMap(Hardware::cpu).map(Hardware.Cpu::cores)
                .orElse(Runtime.getRuntime().availableProcessors());
        int slots = spec.slots();
        int threads = Math.max(1, cores / slots);
        WhisperJNI whisper = library();
        WhisperContext context;
        try {
            context = whisper.initNoState(file);
        } catch (IOException e) {
            throw new WhisperModelFile.InvalidModelFile(file + ": whisper.cpp cannot load it: " + e.getMessage());
        }
        if (context == null) {
            throw new WhisperModelFile.InvalidModelFile(file + ": whisper.cpp refused to load it (see the log)");
        }
        if (!header.hasWeights()) {
            LOG.warning("model '" + spec.id() + "': " + file + " has no weights (a file made for tests): it transcribes nothing");
        }
        return new WhisperBackend(spec.id(), header, whisper, context, slots, threads);
    }

    /** Loads whisper-jni's native library once per process, its log going to java.util.logging at FINE. */
    private static WhisperJNI library() throws WhisperModelFile.InvalidModelFile {
        synchronized (LIBRARY) {
            if (!loaded) {
                try {
                    WhisperJNI.loadLibrary(message -> LOG.fine(message));
                } catch (IOException | UnsatisfiedLinkError e) {
                    throw new WhisperModelFile.InvalidModelFile("whisper.cpp's native library cannot be loaded"
                            + " (it needs Debian's libgomp1): " + e.getMessage());
                }
                WhisperJNI.setLibraryLogger(message -> LOG.log(Level.FINE, message::strip));
                loaded = true;
            }
            return new WhisperJNI();
        }
    }

    /** whisper.cpp threads given to each transcription: the model's cores divided among its slots. */
    @Override
    public int coresPerTranscription() {
        return threads;
    }

    @Override
    public float sampleRate() {
        return SAMPLE_RATE;
    }

    @Override
    public Transcript transcribe(PcmAudio audio, String language, String prompt) {
        boolean english = language == null || language.isBlank() || language.toLowerCase(Locale.ROOT).startsWith("en");
        if (!header.multilingual() && !english) {
            throw MeshException.of(Failure.REJECTED, "model '" + id + "' is an English-only Whisper model; it does not"
                    + " transcribe '" + language + "'", null);
        }
        return natives.call(() -> {
            long started = System.nanoTime();  // on the pool's thread: a wait for one is not work
            return run(audio, language, prompt).processedIn((System.nanoTime() - started) / 1e9);
        });
    }

    /** One transcription, on a thread of the pool, with that thread's decoding state. */
    private Transcript run(PcmAudio audio, String language, String prompt) {
        WhisperState state = states.get();
        if (state == null) {
            state = whisper.initState(context);
            synchronized (allStates) {
                allStates.add(state);
            }
            states.set(state);
        }
        float[] samples = floats(audio);
        WhisperFullParams params = new WhisperFullParams(WhisperSamplingStrategy.GREEDY);
        params.nThreads = threads;
        params.language = language == null || language.isBlank() ? (header.multilingual() ? "auto" : "en")
                : language.toLowerCase(Locale.ROOT);
        params.initialPrompt = prompt;
        params.printProgress = false;
        params.printRealtime = false;
        params.printTimestamps = false;
        int status = whisper.fullWithState(context, state, params, samples, samples.length);
        if (status != 0) {
            throw MeshException.of(Failure.UPSTREAM_ERROR, "whisper.cpp failed on the audio (status " + status + ")", null);
        }
        int count = whisper.fullNSegmentsFromState(state);
        List<Transcript.Segment> segments = new ArrayList<>(count);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            String piece = whisper.fullGetSegmentTextFromState(state, i).strip();
            // whisper.cpp's times are in hundredths of a second
            double start = whisper.fullGetSegmentTimestamp0FromState(state, i) / 100.0;
            double end = whisper.fullGetSegmentTimestamp1FromState(state, i) / 100.0;
            segments.add(new Transcript.Segment(start, end, piece, List.of()));
            text.append(text.isEmpty() ? "" : " ").append(piece);
        }
        return new Transcript(text.toString(), List.copyOf(segments), audio.seconds());
    }

    /** 16-bit PCM to the floats in [-1, 1) that whisper.cpp takes. */
    private static float[] floats(PcmAudio audio) {
        ShortBuffer pcm = ByteBuffer.wrap(audio.samples()).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        float[] out = new float[pcm.remaining()];
        for (int i = 0; i < out.length; i++) {
            out[i] = pcm.get(i) / 32768f;
        }
        return out;
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
        return BackendHealth.ready("whisper.cpp model loaded (" + (header.multilingual() ? "multilingual" : "English")
                + (header.hasWeights() ? "" : ", no weights: a file for tests") + ")");
    }

    @Override
    public void close() {
        if (!natives.drain()) {
            return;  // a transcription still uses the native state: leave it rather than free it under its feet
        }
        synchronized (allStates) {
            allStates.forEach(whisper::free);
            allStates.clear();
        }
        whisper.free(context);
    }
}
