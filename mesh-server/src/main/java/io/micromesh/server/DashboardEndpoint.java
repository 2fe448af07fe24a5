package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.Json;
import io.micromesh.core.ServedModel;
import io.micromesh.core.config.RouteSpec;
import io.micromesh.core.dispatch.Dispatcher;
import io.micromesh.core.dispatch.Lane;
import io.micromesh.core.spi.GateGauges;
import io.micromesh.store.Budgets;
import io.micromesh.store.KeyStore;
import io.micromesh.store.Ledger;
import io.micromesh.store.StoreException;
import io.micromesh.store.UsageTotal;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * {@code GET /dashboard}: one self-contained page (HTML, CSS and script in the jar; charts drawn as
 * SVG by the page itself; nothing from the network) that polls {@code GET /dashboard/data} every two
 * seconds: requests and tokens a second over fifteen minutes, p50 and p99 latency and time to first
 * token by model, cost and energy by model, route and key (today and this hour, from the ledger), each
 * route's mix of models, every model's health, replicas, limits and queues by lane, and the keys'
 * budgets. The page holds no data; the figures need the gateway's master key (or api-key) when one is set.
 */
final class DashboardEndpoint {

    private static final byte[] PAGE = page();

    private final Dispatcher dispatcher;
    private final GatewayMetrics metrics;
    private final LiveTraffic live;
    private final Optional<Accounts> accounts;
    private final Authenticator auth;
    private final Clock clock;

    DashboardEndpoint(Dispatcher dispatcher, GatewayMetrics metrics, Optional<Accounts> accounts, Authenticator auth,
                      Clock clock) {
        this.dispatcher = dispatcher;
        this.metrics = metrics;
        this.live = metrics.live();
        this.accounts = accounts;
        this.auth = auth;
        this.clock = clock;
    }

    private static byte[] page() {
        try (InputStream in = DashboardEndpoint.class.getResourceAsStream("/dashboard/index.html")) {
            return in.readAllBytes();
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("the dashboard page is missing from the jar", e);
        }
    }

    void page(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        // the page runs only its own script and reaches only this gateway
        res.header(HeaderNames.create("Content-Security-Policy"),
                "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:");
        res.send(PAGE);
    }

    void data(ServerRequest req, ServerResponse res) {
        auth.dashboard(req);
        Instant now = clock.instant();
        ObjectNode body = Json.object().put("now", now.toString());
        ArrayNode series = body.putArray("series");
        for (LiveTraffic.Point p : live.series()) {
            series.addObject().put("t", p.startMs()).put("rps", p.requestsPerS()).put("tps", p.tokensPerS());
        }
        ArrayNode models = body.putArray("models");
        for (ServedModel model : dispatcher.portfolio().models()) {
            ObjectNode m = models.addObject().put("id", model.id()).put("engine", model.spec().engine().key())
                    .put("status", model.backend().health().state().name().toLowerCase(java.util.Locale.ROOT))
                    .put("status_detail", model.backend().health().detail())
                    .put("p50_ms", live.latencyMs(model.id(), 0.5)).put("p99_ms", live.latencyMs(model.id(), 0.99))
                    .put("ttft_p50_ms", live.firstTokenMs(model.id(), 0.5)).put("ttft_p99_ms", live.firstTokenMs(model.id(), 0.99));
            ArrayNode replicas = m.putArray("replicas");
            for (GateGauges gate : model.backend().gates()) {
                ObjectNode r = replicas.addObject().put("name", gate.name()).put("limit", gate.limit())
                        .put("in_flight", gate.inFlight());
                ObjectNode queued = r.putObject("queued");
                for (Lane lane : Lane.values()) {
                    queued.put(lane.key(), gate.queued(lane));
                }
            }
        }
        ArrayNode routes = body.putArray("routes");
        for (RouteSpec route : dispatcher.router().routes()) {
            routes.addObject().put("name", route.name()).put("policy", route.policy().key());
        }
        ArrayNode verdicts = body.putArray("verdicts");
        metrics.verdictCounts().forEach(v -> verdicts.addObject().put("route", v.getKey().get(0))
                .put("model", v.getKey().get(1)).put("result", v.getKey().get(2)).put("count", v.getValue()));
        accounts.ifPresent(a -> ledger(body, a, now));
        ArrayNode jobs = body.putArray("jobs");
        accounts.ifPresent(a -> {
            try {
                for (io.micromesh.store.BatchStore.Batch batch : a.batches().running()) {
                    jobs.addObject().put("id", batch.id()).put("key", batch.keyId()).put("status", batch.status().wire())
                            .put("endpoint", batch.endpoint()).put("total", batch.counts().total())
                            .put("completed", batch.counts().completed()).put("failed", batch.counts().failed())
                            .put("cost_usd", batch.counts().costUsd()).put("energy_wh", batch.counts().energyWh())
                            .put("created_at", batch.created().getEpochSecond());
                }
            } catch (StoreException e) {
                body.put("store_error", "the store cannot be read now");
            }
        });
        Responses.json(res, 200, body);
    }

    private static void ledger(ObjectNode body, Accounts accounts, Instant now) {
        Ledger ledger = accounts.ledger();
        try {
            ledger.awaitWritten(Duration.ofMillis(500));
            Instant day = io.micromesh.core.accounting.Period.DAY.start(now);
            Instant hour = now.truncatedTo(ChronoUnit.HOURS);
            Instant end = now.plusMillis(1);
            ObjectNode spend = body.putObject("spend");
            for (UsageTotal.GroupBy group : List.of(UsageTotal.GroupBy.MODEL, UsageTotal.GroupBy.ROUTE, UsageTotal.GroupBy.KEY)) {
                ObjectNode byGroup = spend.putObject(group.key());
                totals(byGroup.putArray("today"), ledger.totals(group, day, end, Optional.empty()));
                totals(byGroup.putArray("hour"), ledger.totals(group, hour, end, Optional.empty()));
            }
            ArrayNode mix = body.putArray("mix");
            for (Ledger.Traffic row : ledger.traffic(day, end)) {
                mix.addObject().put("stream", row.stream()).put("model", row.model()).put("requests", row.requests());
            }
            ArrayNode budgets = body.putArray("budgets");
            for (KeyStore.ApiKey key : accounts.keys().list()) {
                if (key.revoked().isPresent()) {
                    continue;
                }
                ObjectNode k = budgets.addObject().put("id", key.id()).put("name", key.name())
                        .put("period", key.grant().period().key());
                if (key.grant().budgeted()) {
                    Budgets.Spend s = accounts.budgets().keySpend(key.id(), key.grant().period());
                    k.put("spent_usd", s.spentUsd()).put("spent_wh", s.spentWh());
                    if (key.grant().budgetUsd() != null) {
                        k.put("budget_usd", key.grant().budgetUsd());
                    }
                    if (key.grant().budgetWh() != null) {
                        k.put("budget_wh", key.grant().budgetWh());
                    }
                }
            }
        } catch (StoreException e) {
            body.put("store_error", "the store cannot be read now");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void totals(ArrayNode into, List<UsageTotal> totals) {
        for (UsageTotal t : totals) {
            into.addObject().put("group", t.group()).put("requests", t.requests()).put("cost_usd", t.costUsd())
                    .put("energy_wh", t.energyWh()).put("tokens", t.promptTokens() + t.completionTokens())
                    .put("cache_hits", t.cacheHits()).put("saved_cost_usd", t.savedCostUsd())
                    .put("saved_energy_wh", t.savedEnergyWh());
        }
    }
}
