package io.micromesh.core.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole configuration file: the server and the portfolio of models. Immutable and validated:
 * an instance is always usable.
 *
 * @param server the {@code server:} section (defaults when absent)
 * @param models the portfolio, at least one model, ids unique
 */
public record MeshConfig(ServerSettings server, List<ModelSpec> models) {

    public MeshConfig {
        server = server == null ? ServerSettings.defaults() : server;
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
    }

    /** The model with this id, if the portfolio has one. */
    public Optional<ModelSpec> model(String id) {
        return models.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    /** The same configuration with {@code server.port} replaced, as {@code --port} does. */
    public MeshConfig withPort(int port) {
        return new MeshConfig(server.withPort(port), models);
    }
}
