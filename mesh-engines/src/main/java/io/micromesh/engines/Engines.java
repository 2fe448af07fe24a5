package io.micromesh.engines;

import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.accounting.Tariff;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.config.ServerSettings;
import io.micromesh.core.dispatch.GateSettings;
import io.micromesh.core.spi.Backend;
import io.micromesh.engines.llamacpp.SupervisedWorker;
import io.micromesh.engines.onnx.EncoderBackend;
import io.micromesh.engines.openai.OpenAiBackend;
import io.micromesh.engines.vosk.VoskBackend;
import io.micromesh.engines.vosk.VoskModelFiles;
import io.micromesh.engines.whisper.WhisperBackend;
import io.micromesh.engines.whisper.WhisperModelFile;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.logging.Logger;

/** Opens the backend of every configured model: the portfolio a gateway serves. */
public final class Engines {

    private static final Logger LOG = Logger.getLogger(Engines.class.getName());

    private Engines() {
    }

    /**
     * Opens the portfolio of a configuration without engine workers: its {@code llamacpp} models
     * answer 503. On failure, backends already opened are closed.
     *
     * @param clock      time source for back-offs
     * @param background where background work (replica probes) runs
     */
    public static Portfolio open(MeshConfig config, Clock clock, Executor background) {
        return open(config, clock, background, List.of());
    }

    /**
     * Opens the portfolio of a configuration, starting an engine worker for each {@code llamacpp}
     * model (in the background: such a model is {@code starting} until its worker is loaded).
     * On failure, backends already opened are closed.
     *
     * @param clock      time source for back-offs
     * @param background where background work (replica probes) runs
     * @param mesh       how to run the {@code mesh} command in a new JVM, for engine workers;
     *                   empty to run none
     */
    public static Portfolio open(MeshConfig config, Clock clock, Executor background, List<String> mesh) {
        List<ServedModel> models = new ArrayList<>();
        try {
            for (ModelSpec spec : config.models()) {
                models.add(new ServedModel(spec, backend(spec, config.server().lanes(), clock, background, mesh),
                        Tariff.of(spec)));
            }
        } catch (RuntimeException e) {
            models.forEach(m -> m.backend().close());
            throw e;
        }
        return new Portfolio(models);
    }

    /** A whisper.cpp model, or, when its file is missing or of another kind, a model that says so while the rest serves. */
    private static Backend whisper(ModelSpec.WhisperCpp spec) {
        try {
            return WhisperBackend.open(spec);
        } catch (WhisperModelFile.InvalidModelFile e) {
            LOG.warning("model '" + spec.id() + "' is unavailable: " + e.getMessage());
            return new UnavailableBackend("model '" + spec.id() + "' is unavailable: " + e.getMessage());
        }
    }

    private static Backend backend(ModelSpec spec, ServerSettings.LaneShares lanes, Clock clock, Executor background,
                                   List<String> mesh) {
        return switch (spec) {
            case ModelSpec.OpenAi openai -> OpenAiBackend.create(openai, new GateSettings(openai.minInFlight(),
                    openai.maxInFlight(), openai.adaptiveLimit(), openai.queueSize(), lanes.agent(), lanes.batch(),
                    lanes.interactive()), clock, background);
            case ModelSpec.Onnx onnx -> EncoderBackend.load(onnx.id(), new EncoderBackend.Batching(onnx.maxBatch(),
                    java.time.Duration.ofMillis(onnx.maxWaitMs()), onnx.batchMaxTokens()));
            case ModelSpec.LlamaCpp llama -> mesh.isEmpty()
                    ? new UnavailableBackend("engine not available: model '" + llama.id()
                            + "' needs a llama.cpp engine worker, and this process runs none")
                    : SupervisedWorker.start(llama, new GateSettings(llama.slots(), llama.slots(), false, llama.queueSize(),
                            lanes.agent(), lanes.batch(), lanes.interactive()), mesh, clock, background);
            case ModelSpec.Vosk vosk -> VoskBackend.open(vosk, VoskModelFiles.defaultCache());
            case ModelSpec.WhisperCpp whisper -> whisper(whisper);
        };
    }
}
