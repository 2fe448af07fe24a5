package io.micromesh.core.dispatch;

import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.accounting.Tariff;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.core.config.MeshConfig;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.routing.Router;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A portfolio read from YAML whose every model is served by a {@link ModelServerStandIn} of its id. */
final class StandInPortfolio {

    final MeshConfig config;
    final Map<String, ModelServerStandIn> servers = new LinkedHashMap<>();
    final Portfolio portfolio;
    final Router router;

    StandInPortfolio(String yaml) {
        config = ConfigLoader.withEnvironment(Map.of()).parse(yaml);
        List<ServedModel> models = config.models().stream().map(this::served).toList();
        portfolio = new Portfolio(models);
        router = Router.over(config.routes(), portfolio);
    }

    private ServedModel served(ModelSpec spec) {
        ModelServerStandIn server = new ModelServerStandIn(spec.id());
        servers.put(spec.id(), server);
        return new ServedModel(spec, server, Tariff.of(spec));
    }

    ModelServerStandIn server(String id) {
        return servers.get(id);
    }
}
