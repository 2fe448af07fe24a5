package io.micromesh.core.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole configuration file: the server, the portfolio of models and the routes over it.
 * Immutable and validated: an instance is always usable.
 *
 * @param server the {@code server:} section (defaults when absent)
 * @param models the portfolio, at least one model, ids unique
 * @param routes virtual model names and how they choose a model (none when absent)
 * @param store  the database the gateway keeps its ledger, keys and what routes learn in (SQLite in the
 *               state folder when absent)
 * @param kafka  how workers and batch jobs over Kafka use a cluster (defaults when absent)
 */
public record MeshConfig(ServerSettings server, List<ModelSpec> models, List<RouteSpec> routes, StoreSettings store,
                         KafkaSettings kafka) {

    public MeshConfig {
        server = server == null ? ServerSettings.defaults() : server;
        store = store == null ? StoreSettings.defaults() : store;
        kafka = kafka == null ? KafkaSettings.defaults() : kafka;
        if (models == null || models.isEmpty()) {
            throw new ConfigException("models", "is required: a list of at least one model");
        }
        models = List.copyOf(models);
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < models.size(); i++) {
            Integer first = seen.putIfAbsent(models.get(i).id(), i);
            if (first != null) {
                throw new ConfigException("models[" + i + "].id", "'" + models.get(i).id()
                        + "' is already the id of models[" + first + "]; ids must be unique");
            }
        }
        routes = routes == null ? List.of() : resolved(routes, models);
        List<String> encoders = models.stream().filter(m -> m.engine() == Engine.ONNX).map(ModelSpec::id).toList();
        for (int i = 0; i < models.size(); i++) {
            int index = i;
            models.get(i).cache().ifPresent(cache -> checkCacheEncoder(cache, "models[" + index + "].cache.encoder", encoders));
        }
        for (int r = 0; r < routes.size(); r++) {
            if (routes.get(r).cache() != null) {
                checkCacheEncoder(routes.get(r).cache(), "routes[" + r + "].cache.encoder", encoders);
            }
        }
    }

    /** A semantic cache embeds with an onnx model: the one named, or the portfolio's only one. */
    private static void checkCacheEncoder(CacheSpec cache, String at, List<String> encoders) {
        if (!cache.semantic()) {
            return;
        }
        if (cache.encoder() == null && encoders.size() != 1) {
            throw new ConfigException(at, "is required when the portfolio has " + (encoders.isEmpty() ? "no onnx model"
                    : "several onnx models " + encoders) + "; a semantic cache embeds the last user message with an onnx model");
        }
        if (cache.encoder() != null && !encoders.contains(cache.encoder())) {
            throw new ConfigException(at, "'" + cache.encoder() + "' is not an onnx model of the portfolio; onnx models: "
                    + encoders);
        }
    }

    /** Without routes. */
    public MeshConfig(ServerSettings server, List<ModelSpec> models) {
        this(server, models, null, null, null);
    }

    /** With the default store. */
    public MeshConfig(ServerSettings server, List<ModelSpec> models, List<RouteSpec> routes) {
        this(server, models, routes, null, null);
    }

    /** Checks routes against the portfolio and resolves their default encoder. */
    private static List<RouteSpec> resolved(List<RouteSpec> routes, List<ModelSpec> models) {
        Map<String, ModelSpec> byId = new HashMap<>();
        models.forEach(m -> byId.put(m.id(), m));
        List<String> encoders = models.stream().filter(m -> m.engine() == Engine.ONNX).map(ModelSpec::id).toList();
        Map<String, Integer> names = new HashMap<>();
        List<RouteSpec> checked = new java.util.ArrayList<>();
        for (int r = 0; r < routes.size(); r++) {
            RouteSpec route = routes.get(r);
            String at = "routes[" + r + "]";
            if (byId.containsKey(route.name())) {
                throw new ConfigException(at + ".name", "'" + route.name() + "' is the id of a model; a route needs a name"
                        + " of its own, or requests for the model would be ambiguous");
            }
            Integer first = names.putIfAbsent(route.name(), r);
            if (first != null) {
                throw new ConfigException(at + ".name", "'" + route.name() + "' is already the name of routes[" + first + "]");
            }
            for (int i = 0; i < route.candidates().size(); i++) {
                if (!byId.containsKey(route.candidates().get(i))) {
                    throw new ConfigException(at + ".candidates[" + i + "]", "'" + route.candidates().get(i)
                            + "' is not a model of the portfolio; models: " + byId.keySet().stream().sorted().toList());
                }
            }
            if (route.verify() != null) {
                VerifySpec verify = route.verify();
                if (verify.judge() != null && !byId.containsKey(verify.judge().model())) {
                    throw new ConfigException(at + ".verify.judge.model", "'" + verify.judge().model()
                            + "' is not a model of the portfolio; models: " + byId.keySet().stream().sorted().toList());
                }
                if (verify.minMeanLogprob() != null) {
                    for (String id : route.candidates()) {
                        if (byId.get(id).engine() != Engine.OPENAI) {
                            throw new ConfigException(at + ".verify.min-mean-logprob", "needs token log-probabilities,"
                                    + " which only openai backends return; candidate " + id + " runs on engine "
                                    + byId.get(id).engine().key() + (byId.get(id).engine() == Engine.LLAMACPP
                                    ? " (the llama.cpp binding aborts when asked for them)" : ""));
                        }
                    }
                }
            }
            if (route.policy().embeds()) {
                String encoder = route.encoder();
                if (encoder == null) {
                    if (encoders.size() != 1) {
                        throw new ConfigException(at + ".encoder", "is required when the portfolio has "
                                + (encoders.isEmpty() ? "no onnx model" : "several onnx models " + encoders)
                                + "; a " + route.policy() + " route embeds requests with an onnx model");
                    }
                    encoder = encoders.getFirst();
                } else if (!encoders.contains(encoder)) {
                    throw new ConfigException(at + ".encoder", "'" + encoder + "' is not an onnx model of the portfolio;"
                            + " onnx models: " + encoders);
                }
                route = route.withEncoder(encoder);
            }
            checked.add(route);
        }
        return List.copyOf(checked);
    }

    /** The route with this name, if there is one. */
    public Optional<RouteSpec> route(String name) {
        return routes.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    /** The model with this id, if the portfolio has one. */
    public Optional<ModelSpec> model(String id) {
        return models.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    /** The same configuration with {@code server.port} replaced, as {@code --port} does. */
    public MeshConfig withPort(int port) {
        return new MeshConfig(server.withPort(port), models, routes, store, kafka);
    }
}
