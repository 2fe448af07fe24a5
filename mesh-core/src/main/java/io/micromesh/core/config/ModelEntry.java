package io.micromesh.core.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One entry of {@code models:} as the configuration file writes it: every key of every engine,
 * checked and defaulted here (a key set for an engine that does not use it is refused rather than
 * ignored), then turned into the {@link ModelSpec} of its engine by {@link #toSpec()}.
 *
 * @param id                 the name clients use in {@code model}
 * @param engine             how it runs
 * @param endpoints          {@code openai}: base URLs of the replicas, each ending in {@code /v1}
 * @param servedName         {@code openai}: the model name sent upstream (default: {@code id})
 * @param apiKey             {@code openai}: bearer token for the upstream
 * @param file               {@code llamacpp}: the GGUF file; {@code whisper-cpp}: the ggml model file
 * @param pull               {@code llamacpp}, {@code whisper-cpp}: where {@code mesh pull} fetches the file from
 * @param slots              {@code llamacpp}: parallel sequences of the worker; {@code whisper-cpp}:
 *                           transcriptions run at once (default 1), each on its share of the cores
 * @param context            context window in tokens, when known
 * @param price              dollars per million tokens (free when absent)
 * @param energy             joules per token (energy reported as 0, method none, when absent)
 * @param hardware           the hardware share given to the model
 * @param capabilities       what it can do (defaults by engine)
 * @param maxInFlight        {@code openai}: requests in flight per endpoint at most (the adaptive limit's ceiling)
 * @param minInFlight        {@code openai}: the adaptive limit's floor (default 1)
 * @param adaptiveLimit      {@code openai}: whether each endpoint's in-flight limit follows its measured
 *                           latency (default true); else it is {@code max-in-flight}
 * @param queueSize          {@code openai}, {@code llamacpp}: requests that may wait per endpoint (or
 *                           worker) for a place, over all priority lanes (default 256)
 * @param maxBatch           {@code onnx}: texts embedded together in one run at most (default 16; 1: never batch)
 * @param maxWaitMs          {@code onnx}: how long a text may wait for others to batch with (default 0:
 *                           batches form only from texts that arrive while the encoder is busy)
 * @param batchMaxTokens     {@code onnx}: longer texts (estimated tokens) always run alone (default 32)
 * @param affinity           {@code openai}: requests of one session, user or long system prompt go to
 *                           the same endpoint when it has room (default true)
 * @param connectTimeoutMs   {@code openai}: TCP connect timeout
 * @param timeoutMs          {@code openai}: longest silence of the upstream (504 after it)
 * @param deadlineMs         {@code openai}: longest whole call to the upstream, however it trickles (504 after it)
 * @param ejectAfterFailures {@code openai}: consecutive failures that eject a replica
 * @param ejectForMs         {@code openai}: first back-off of an ejected replica (doubles per failed probe)
 * @param responsesApi       {@code openai}: how {@code /v1/responses} reaches it: {@code translate} (default: as a chat
 *                           completion) or {@code passthrough} (as it is, to the upstream's own {@code /v1/responses})
 * @param cache              how its answers are cached (default: not at all)
 */
record ModelEntry(String id, Engine engine, List<String> endpoints, String servedName, String apiKey,
                        String file, String pull, Integer slots, Integer context, Price price,
                        EnergyProfile energy, Hardware hardware, Set<Capability> capabilities,
                        Integer maxInFlight, Integer connectTimeoutMs, Integer timeoutMs,
                        Integer ejectAfterFailures, Integer ejectForMs, Integer minInFlight, Boolean adaptiveLimit,
                        Integer queueSize, Integer maxBatch, Integer maxWaitMs, Integer batchMaxTokens,
                        Boolean affinity, Integer deadlineMs, String responsesApi, CacheSpec cache) {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}");

    ModelEntry {
        if (id == null || !ID.matcher(id).matches()) {
            throw new ConfigException("id", (id == null ? "is required" : "'" + id + "' is not allowed")
                    + "; an id is 1-128 letters, digits and . _ : / @ + -, starting with a letter or digit");
        }
        if (engine == null) {
            throw new ConfigException("engine", "is required; allowed: " + Engine.allowed());
        }
        refuseKeysNotFor(engine, EnumSet.of(Engine.OPENAI), Map.entry("endpoints", endpoints != null),
                Map.entry("served-name", servedName != null), Map.entry("api-key", apiKey != null),
                Map.entry("max-in-flight", maxInFlight != null), Map.entry("connect-timeout-ms", connectTimeoutMs != null),
                Map.entry("timeout-ms", timeoutMs != null), Map.entry("eject-after-failures", ejectAfterFailures != null),
                Map.entry("eject-for-ms", ejectForMs != null), Map.entry("min-in-flight", minInFlight != null),
                Map.entry("adaptive-limit", adaptiveLimit != null), Map.entry("affinity", affinity != null),
                Map.entry("deadline-ms", deadlineMs != null), Map.entry("responses-api", responsesApi != null));
        if (responsesApi != null && !responsesApi.equals("translate") && !responsesApi.equals("passthrough")) {
            throw new ConfigException("responses-api", "'" + responsesApi + "' is not allowed; allowed: translate, passthrough");
        }
        refuseKeysNotFor(engine, EnumSet.of(Engine.ONNX), Map.entry("max-batch", maxBatch != null),
                Map.entry("max-wait-ms", maxWaitMs != null), Map.entry("batch-max-tokens", batchMaxTokens != null));
        if (queueSize != null && (engine == Engine.ONNX || engine == Engine.VOSK || engine == Engine.WHISPER_CPP)) {
            throw new ConfigException("queue-size", "is not used by engine " + engine.key()
                    + "; it applies to engines openai and llamacpp");
        }
        refuseKeysNotFor(engine, EnumSet.of(Engine.LLAMACPP, Engine.WHISPER_CPP), Map.entry("file", file != null),
                Map.entry("pull", pull != null), Map.entry("slots", slots != null));
        endpoints = engine == Engine.OPENAI ? endpoints(endpoints) : List.of();
        servedName = Checks.blankToNull(servedName) == null ? id : servedName;
        apiKey = Checks.blankToNull(apiKey);
        if (engine == Engine.LLAMACPP && (file == null || file.isBlank())) {
            throw new ConfigException("file", "is required for engine llamacpp: the path of the GGUF model file");
        }
        if (engine == Engine.WHISPER_CPP && (file == null || file.isBlank())) {
            throw new ConfigException("file", "is required for engine whisper-cpp: the path of a whisper.cpp ggml model"
                    + " file (for example ggml-base.en.bin; mesh pull fetches it)");
        }
        if (pull != null && !pull.matches("(hf|https?)://.+")) {
            throw new ConfigException("pull", "'" + pull + "' is not allowed; write hf://OWNER/REPO/FILE or an http(s) URL");
        }
        slots = engine == Engine.LLAMACPP || engine == Engine.WHISPER_CPP ? Checks.between("slots", slots, 1, 256, 1) : null;
        context = context == null ? null : Checks.atLeast("context", context, 16, 16);
        price = price == null ? Price.FREE : price;
        capabilities = capabilities == null || capabilities.isEmpty()
                ? defaultCapabilities(engine) : Set.copyOf(capabilities);
        maxInFlight = Checks.between("max-in-flight", maxInFlight, 1, 100_000, 256);
        connectTimeoutMs = Checks.between("connect-timeout-ms", connectTimeoutMs, 1, 600_000, 2_000);
        timeoutMs = Checks.between("timeout-ms", timeoutMs, 1, 3_600_000, 300_000);
        deadlineMs = Checks.between("deadline-ms", deadlineMs, 1, 86_400_000, 600_000);
        ejectAfterFailures = Checks.between("eject-after-failures", ejectAfterFailures, 1, 1_000, 3);
        ejectForMs = Checks.between("eject-for-ms", ejectForMs, 1, 3_600_000, 5_000);
        minInFlight = Checks.between("min-in-flight", minInFlight, 1, 100_000, 1);
        if (minInFlight > maxInFlight) {
            throw new ConfigException("min-in-flight", minInFlight + " is above max-in-flight " + maxInFlight);
        }
        adaptiveLimit = adaptiveLimit == null || adaptiveLimit;
        queueSize = Checks.between("queue-size", queueSize, 0, 1_000_000, 256);
        maxBatch = Checks.between("max-batch", maxBatch, 1, 256, 16);
        maxWaitMs = Checks.between("max-wait-ms", maxWaitMs, 0, 1_000, 0);
        batchMaxTokens = Checks.between("batch-max-tokens", batchMaxTokens, 1, 512, 32);
        affinity = affinity == null || affinity;
    }

    /** The spec of this entry's engine. */
    ModelSpec toSpec() {
        ModelSpec.Basics basics = new ModelSpec.Basics(id, context, price, energy, hardware, capabilities, cache);
        return switch (engine) {
            case OPENAI -> new ModelSpec.OpenAi(basics, endpoints, servedName, apiKey, maxInFlight, minInFlight, adaptiveLimit,
                    queueSize, affinity, connectTimeoutMs, timeoutMs, deadlineMs, ejectAfterFailures, ejectForMs,
                    "passthrough".equals(responsesApi));
            case LLAMACPP -> new ModelSpec.LlamaCpp(basics, file, pull, slots, queueSize);
            case ONNX -> new ModelSpec.Onnx(basics, maxBatch, maxWaitMs, batchMaxTokens);
            case VOSK -> new ModelSpec.Vosk(basics);
            case WHISPER_CPP -> new ModelSpec.WhisperCpp(basics, file, pull, slots);
        };
    }

    private static Set<Capability> defaultCapabilities(Engine engine) {
        return switch (engine) {
            case OPENAI -> EnumSet.of(Capability.CHAT, Capability.COMPLETIONS, Capability.EMBEDDINGS,
                    Capability.TOOLS, Capability.JSON);
            case LLAMACPP -> EnumSet.of(Capability.CHAT, Capability.COMPLETIONS, Capability.JSON, Capability.TOOLS);
            case ONNX -> EnumSet.of(Capability.EMBEDDINGS);
            case VOSK, WHISPER_CPP -> EnumSet.of(Capability.TRANSCRIPTION);
        };
    }

    /** Refuses, in the order given, the first key that is set but belongs to other engines. */
    @SafeVarargs
    private static void refuseKeysNotFor(Engine engine, Set<Engine> owners, Map.Entry<String, Boolean>... keysSet) {
        if (owners.contains(engine)) {
            return;
        }
        for (Map.Entry<String, Boolean> key : keysSet) {
            if (key.getValue()) {
                throw new ConfigException(key.getKey(), "is not used by engine " + engine.key() + "; it applies to engine"
                        + (owners.size() == 1 ? " " : "s ") + owners.stream().map(Engine::key)
                                .collect(java.util.stream.Collectors.joining(" and ")) + " only");
            }
        }
    }

    private static List<String> endpoints(List<String> endpoints) {
        if (endpoints == null || endpoints.isEmpty()) {
            throw new ConfigException("endpoints", "is required for engine openai: a list of base URLs"
                    + " such as [\"http://127.0.0.1:8000/v1\"]");
        }
        List<String> normalized = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < endpoints.size(); i++) {
            String key = "endpoints[" + i + "]";
            String url = endpoints.get(i);
            try {
                URI uri = new URI(url == null ? "" : url.strip());
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                    throw new URISyntaxException(String.valueOf(url), "not an absolute http(s) URL");
                }
            } catch (URISyntaxException e) {
                throw new ConfigException(key, "'" + url + "' is not allowed; write an http(s) base URL"
                        + " such as http://127.0.0.1:8000/v1");
            }
            String trimmed = url.strip().replaceAll("/+$", "");
            if (!seen.add(trimmed)) {
                throw new ConfigException(key, "'" + url + "' is listed twice");
            }
            normalized.add(trimmed);
        }
        return List.copyOf(normalized);
    }
}
