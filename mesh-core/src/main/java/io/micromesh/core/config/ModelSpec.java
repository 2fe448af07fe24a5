package io.micromesh.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One model of the portfolio, as configured under {@code models:}: what every model has
 * ({@link Basics}) and, per engine, what only that engine uses. Read from the configuration through
 * {@link ModelEntry}, which checks every key; code builds the record of its engine directly.
 */
public sealed interface ModelSpec permits ModelSpec.OpenAi, ModelSpec.LlamaCpp, ModelSpec.Onnx, ModelSpec.Vosk,
        ModelSpec.WhisperCpp {

    /**
     * What every model has.
     *
     * @param id           the name clients use in {@code model}
     * @param context      context window in tokens, or null when unknown
     * @param price        dollars per million tokens and per audio minute
     * @param energy       joules per token, or null (energy reported as 0, method none)
     * @param hardware     the hardware share given to the model, or null
     * @param capabilities what it can do
     * @param cache        how its answers are cached, or null for not at all
     */
    record Basics(String id, Integer context, Price price, EnergyProfile energy, Hardware hardware,
                  Set<Capability> capabilities, CacheSpec cache) {
        public Basics {
            if (id == null || price == null || capabilities == null) {
                throw new IllegalArgumentException("a model needs an id, a price and its capabilities");
            }
            capabilities = Set.copyOf(capabilities);
        }

        /** A model whose answers are not cached. */
        public Basics(String id, Integer context, Price price, EnergyProfile energy, Hardware hardware,
                      Set<Capability> capabilities) {
            this(id, context, price, energy, hardware, capabilities, null);
        }
    }

    /** A model whose weights are a file the gateway may fetch ({@code mesh pull}). */
    sealed interface FromFile permits LlamaCpp, WhisperCpp {

        /** The model file. */
        String file();

        /** Where {@code mesh pull} fetches the file from ({@code hf://...} or an URL), if anywhere. */
        Optional<String> pullSource();
    }

    /**
     * {@code engine: openai}: a model served by OpenAI-compatible servers.
     *
     * @param endpoints          base URLs of the replicas, each ending in {@code /v1}
     * @param servedName         the model name sent upstream
     * @param apiKey             bearer token for the upstream, or null
     * @param maxInFlight        requests in flight per endpoint at most (the adaptive limit's ceiling)
     * @param minInFlight        the adaptive limit's floor
     * @param adaptiveLimit      whether each endpoint's in-flight limit follows its measured latency
     * @param queueSize          requests that may wait per endpoint for a place, over all lanes
     * @param affinity           requests of one session, user or long system prompt go to the same endpoint
     * @param connectTimeoutMs   TCP connect timeout
     * @param timeoutMs          longest silence of the upstream
     * @param deadlineMs         longest whole call to the upstream, from connecting to the last byte
     * @param ejectAfterFailures consecutive failures that eject a replica
     * @param ejectForMs         first back-off of an ejected replica
     * @param responsesPassthrough {@code /v1/responses} goes to the upstream's own Responses API as it is,
     *                           rather than translated to a chat completion
     */
    record OpenAi(Basics basics, List<String> endpoints, String servedName, String apiKey, int maxInFlight,
                  int minInFlight, boolean adaptiveLimit, int queueSize, boolean affinity, int connectTimeoutMs,
                  int timeoutMs, int deadlineMs, int ejectAfterFailures, int ejectForMs, boolean responsesPassthrough)
            implements ModelSpec {
        public OpenAi {
            endpoints = List.copyOf(endpoints);
        }

        @Override
        public Engine engine() {
            return Engine.OPENAI;
        }

        /** The upstream bearer token, when one is configured. */
        public Optional<String> upstreamApiKey() {
            return Optional.ofNullable(apiKey);
        }

        /**
         * A model served by one endpoint, every other setting at the default the configuration gives it.
         *
         * @param context its context window, or null when unknown
         * @throws ConfigException when the id or the URL is not allowed
         */
        public static OpenAi at(String id, String endpoint, Integer context) {
            return (OpenAi) new ModelEntry(id, Engine.OPENAI, List.of(endpoint), null, null, null, null, null, context,
                    null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null).toSpec();
        }
    }

    /**
     * {@code engine: llamacpp}: a GGUF model in a local engine worker.
     *
     * @param file      the GGUF file
     * @param pull      where {@code mesh pull} fetches it from, or null
     * @param slots     parallel sequences of the worker
     * @param queueSize requests that may wait for a place, over all lanes
     */
    record LlamaCpp(Basics basics, String file, String pull, int slots, int queueSize) implements ModelSpec, FromFile {
        @Override
        public Engine engine() {
            return Engine.LLAMACPP;
        }

        @Override
        public Optional<String> pullSource() {
            return Optional.ofNullable(pull);
        }
    }

    /**
     * {@code engine: onnx}: the in-process encoder.
     *
     * @param maxBatch       texts embedded together in one run at most
     * @param maxWaitMs      how long a text may wait for others to batch with
     * @param batchMaxTokens longer texts (estimated tokens) always run alone
     */
    record Onnx(Basics basics, int maxBatch, int maxWaitMs, int batchMaxTokens) implements ModelSpec {
        @Override
        public Engine engine() {
            return Engine.ONNX;
        }
    }

    /** {@code engine: vosk}: in-process speech to text with the bundled English model. */
    record Vosk(Basics basics) implements ModelSpec {
        @Override
        public Engine engine() {
            return Engine.VOSK;
        }
    }

    /**
     * {@code engine: whisper-cpp}: in-process speech to text with whisper.cpp.
     *
     * @param file  the ggml model file
     * @param pull  where {@code mesh pull} fetches it from, or null
     * @param slots transcriptions run at once, each on its share of the cores
     */
    record WhisperCpp(Basics basics, String file, String pull, int slots) implements ModelSpec, FromFile {
        @Override
        public Engine engine() {
            return Engine.WHISPER_CPP;
        }

        @Override
        public Optional<String> pullSource() {
            return Optional.ofNullable(pull);
        }
    }

    /** What every model has. */
    Basics basics();

    /** How it runs. */
    Engine engine();

    /** The name clients use in {@code model}. */
    default String id() {
        return basics().id();
    }

    /** What it can do. */
    default Set<Capability> capabilities() {
        return basics().capabilities();
    }

    /** How its answers are cached, when they are. */
    default Optional<CacheSpec> cache() {
        return Optional.ofNullable(basics().cache());
    }

    /** Its price. */
    default Price price() {
        return basics().price();
    }

    /** The context window, when known. */
    default Optional<Integer> contextWindow() {
        return Optional.ofNullable(basics().context());
    }

    /** The energy profile, when one is configured. */
    default Optional<EnergyProfile> energyProfile() {
        return Optional.ofNullable(basics().energy());
    }

    /** The hardware share, when one is configured. */
    default Optional<Hardware> hardwareShare() {
        return Optional.ofNullable(basics().hardware());
    }

    /** The spec of a checked configuration entry. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static ModelSpec from(ModelEntry entry) {
        return entry.toSpec();
    }
}
