package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.Json;
import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.spi.BackendHealth;
import java.nio.charset.StandardCharsets;

/**
 * Operations endpoints: {@code /health/live} (the process answers), {@code /health/ready} (it can
 * serve: not draining, no model still starting, at least one model serving; the body tells the
 * state of each model) and {@code /metrics} (Prometheus text).
 */
final class HealthEndpoints {

    private final Portfolio portfolio;
    private final Drain drain;
    private final GatewayMetrics metrics;

    HealthEndpoints(Portfolio portfolio, Drain drain, GatewayMetrics metrics) {
        this.portfolio = portfolio;
        this.drain = drain;
        this.metrics = metrics;
    }

    void live(ServerRequest req, ServerResponse res) {
        Responses.reply(req, res, 200, Json.object().put("status", "live"));
    }

    void ready(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object();
        ObjectNode models = Json.object();
        boolean starting = false;
        boolean serving = false;
        for (ServedModel model : portfolio.models()) {
            BackendHealth health = model.backend().health();
            starting |= health.state() == BackendHealth.State.STARTING;
            serving |= health.serving();
            models.putObject(model.id()).put("state", health.state().name().toLowerCase()).put("detail", health.detail());
        }
        boolean ready = !drain.draining() && !starting && serving;
        body.put("status", drain.draining() ? "draining" : ready ? "ready" : "not_ready");
        body.set("models", models);
        Responses.reply(req, res, ready ? 200 : 503, body);
    }

    void metrics(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        res.send(metrics.scrape().getBytes(StandardCharsets.UTF_8));
    }
}
