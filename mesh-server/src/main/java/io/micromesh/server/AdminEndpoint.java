package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ApiError;
import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.api.Quote;
import io.micromesh.core.accounting.Grant;
import io.micromesh.core.accounting.Period;
import io.micromesh.core.dispatch.Dispatcher;
import io.micromesh.store.Budgets;
import io.micromesh.store.KeyStore;
import io.micromesh.store.Ledger;

import io.micromesh.store.UsageTotal;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashSet;

import java.util.Optional;
import java.util.Set;

/**
 * The admin API, behind the master key: {@code POST /admin/keys} issues a key with its grant
 * (models, budget, limits) and shows its secret once; {@code GET /admin/keys} and
 * {@code GET /admin/keys/{id}} describe keys, without secrets, with what each spent in its current
 * period; {@code DELETE /admin/keys/{id}} revokes one, on every instance sharing the store at once.
 */
final class AdminEndpoint {

    private static final Set<String> KEY_FIELDS = Set.of("name", "budget", "limits", "models");
    private static final Set<String> BUDGET_FIELDS = Set.of("usd", "wh", "period");
    private static final Set<String> LIMIT_FIELDS = Set.of("rpm", "tpm", "concurrency");

    private final KeyStore keys;
    private final Budgets budgets;
    private final Ledger ledger;
    private final Dispatcher dispatcher;
    private final RequestBodies bodies;
    private final Clock clock;

    AdminEndpoint(KeyStore keys, Budgets budgets, Ledger ledger, Dispatcher dispatcher, RequestBodies bodies, Clock clock) {
        this.keys = keys;
        this.budgets = budgets;
        this.ledger = ledger;
        this.dispatcher = dispatcher;
        this.bodies = bodies;
        this.clock = clock;
    }

    void create(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.parseObject(bodies.read(req));
        only(body, KEY_FIELDS, null);
        JsonNode name = body.get("name");
        if (name == null || !name.isTextual() || name.asText().isBlank() || name.asText().length() > 100) {
            throw ApiException.invalidRequest("name", "'name' is required: 1 to 100 characters naming who the key is for.");
        }
        Grant grant = grant(body);
        KeyStore.Issued issued = keys.create(name.asText().strip(), grant);
        ObjectNode answer = describe(issued.key());
        answer.put("key", issued.secret());
        Responses.json(res, 201, answer);
    }

    void list(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object().put("object", "list");
        ArrayNode data = body.putArray("data");
        for (KeyStore.ApiKey key : keys.list()) {
            data.add(withSpend(key));
        }
        Responses.json(res, 200, body);
    }

    void get(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        KeyStore.ApiKey key = keys.get(id).orElseThrow(() -> notFound(id));
        Responses.json(res, 200, withSpend(key));
    }

    void revoke(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        KeyStore.ApiKey key = keys.revoke(id).orElseThrow(() -> notFound(id));
        Responses.json(res, 200, describe(key));
    }

    private Grant grant(ObjectNode body) {
        Double usd = null;
        Double wh = null;
        Period period = Period.DAY;
        JsonNode budget = body.get("budget");
        if (budget != null && !budget.isNull()) {
            if (!budget.isObject()) {
                throw ApiException.invalidRequest("budget", "'budget' must be an object: {\"usd\": 5.0, \"wh\": 200, \"period\": \"day\"}.");
            }
            only((ObjectNode) budget, BUDGET_FIELDS, "budget");
            usd = amount(budget, "usd");
            wh = amount(budget, "wh");
            JsonNode p = budget.get("period");
            if (p != null && !p.isNull()) {
                period = Period.of(p.asText()).filter(x -> p.isTextual()).orElseThrow(() -> ApiException.invalidRequest(
                        "budget.period", "'budget.period' must be day, month or total."));
            }
            if (usd == null && wh == null) {
                throw ApiException.invalidRequest("budget", "'budget' needs 'usd', 'wh' or both.");
            }
        }
        Long rpm = null;
        Long tpm = null;
        Long concurrency = null;
        JsonNode limits = body.get("limits");
        if (limits != null && !limits.isNull()) {
            if (!limits.isObject()) {
                throw ApiException.invalidRequest("limits", "'limits' must be an object: {\"rpm\": 600, \"tpm\": 200000,"
                        + " \"concurrency\": 16}.");
            }
            only((ObjectNode) limits, LIMIT_FIELDS, "limits");
            rpm = count(limits, "rpm");
            tpm = count(limits, "tpm");
            concurrency = count(limits, "concurrency");
        }
        Set<String> models = new LinkedHashSet<>();
        JsonNode list = body.get("models");
        if (list != null && !list.isNull()) {
            if (!list.isArray() || list.isEmpty()) {
                throw ApiException.invalidRequest("models", "'models' must be a non-empty list of model ids and route names"
                        + " (leave it out to allow all).");
            }
            for (int i = 0; i < list.size(); i++) {
                JsonNode model = list.get(i);
                String at = "models[" + i + "]";
                if (!model.isTextual() || (dispatcher.portfolio().model(model.asText()).isEmpty()
                        && !dispatcher.router().isRoute(model.asText()))) {
                    throw ApiException.invalidRequest(at, "'" + Quote.clip(model.toString()) + "' is not a model or route of"
                            + " this gateway (GET /v1/models).");
                }
                models.add(model.asText());
            }
        }
        return new Grant(models, usd, wh, period, rpm, tpm, concurrency);
    }

    private ObjectNode describe(KeyStore.ApiKey key) {
        ObjectNode node = Json.object().put("object", "api_key").put("id", key.id()).put("name", key.name())
                .put("prefix", key.prefix() + "...").put("created", key.created().getEpochSecond());
        Grant grant = key.grant();
        if (grant.budgeted()) {
            ObjectNode budget = node.putObject("budget");
            if (grant.budgetUsd() != null) {
                budget.put("usd", grant.budgetUsd());
            }
            if (grant.budgetWh() != null) {
                budget.put("wh", grant.budgetWh());
            }
            budget.put("period", grant.period().key());
        } else {
            node.putNull("budget");
        }
        ObjectNode limits = node.putObject("limits");
        putIfSet(limits, "rpm", grant.rpm());
        putIfSet(limits, "tpm", grant.tpm());
        putIfSet(limits, "concurrency", grant.concurrency());
        if (grant.models().isEmpty()) {
            node.putNull("models");
        } else {
            ArrayNode models = node.putArray("models");
            grant.models().stream().sorted().forEach(models::add);
        }
        key.revoked().ifPresentOrElse(at -> node.put("revoked", at.getEpochSecond()), () -> node.putNull("revoked"));
        return node;
    }

    /** The key, with what it spent (and holds reserved, for a budget) in its current period. */
    private ObjectNode withSpend(KeyStore.ApiKey key) {
        ObjectNode node = describe(key);
        Period period = key.grant().period();
        ObjectNode spend = node.putObject("spend").put("period", period.key());
        if (key.grant().budgeted()) {
            Budgets.Spend s = budgets.keySpend(key.id(), period);
            spend.put("from", s.periodStart().toString()).put("usd", s.spentUsd()).put("wh", s.spentWh())
                    .put("reserved_usd", s.reservedUsd()).put("reserved_wh", s.reservedWh());
        } else {
            Instant now = clock.instant();
            Instant from = period.start(now);
            var totals = ledger.totals(UsageTotal.GroupBy.KEY, from, now.plusMillis(1), Optional.of(key.id()));
            spend.put("from", from.toString())
                    .put("usd", totals.stream().mapToDouble(UsageTotal::costUsd).sum())
                    .put("wh", totals.stream().mapToDouble(UsageTotal::energyWh).sum());
        }
        return node;
    }

    private static void only(ObjectNode body, Set<String> allowed, String within) {
        body.fieldNames().forEachRemaining(field -> {
            if (!allowed.contains(field)) {
                String param = within == null ? field : within + "." + field;
                throw ApiException.invalidRequest(param, "unknown parameter '" + Quote.clip(param) + "'; "
                        + (within == null ? "a key" : "'" + within + "'") + " takes " + allowed.stream().sorted().toList() + ".");
            }
        });
    }

    private static Double amount(JsonNode parent, String field) {
        JsonNode value = parent.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber() || !(value.asDouble() >= 0) || Double.isInfinite(value.asDouble())) {
            throw ApiException.invalidRequest("budget." + field, "'budget." + field + "' must be a number of at least 0.");
        }
        return value.asDouble();
    }

    private static Long count(JsonNode parent, String field) {
        JsonNode value = parent.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < 1) {
            throw ApiException.invalidRequest("limits." + field, "'limits." + field + "' must be a whole number of at least 1.");
        }
        return value.asLong();
    }

    private static void putIfSet(ObjectNode node, String field, Long value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static ApiException notFound(String id) {
        return new ApiException(404, new ApiError("No API key '" + Quote.clip(id) + "' (GET /admin/keys lists them).",
                "invalid_request_error", "id", "key_not_found"));
    }
}
