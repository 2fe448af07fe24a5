package io.micromesh.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import io.micromesh.api.ApiException;
import io.micromesh.api.Json;
import io.micromesh.api.Quote;
import io.micromesh.core.accounting.Period;
import io.micromesh.store.Ledger;

import io.micromesh.store.UsageTotal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;

import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code GET /v1/usage?group_by=model|route|key|workflow&from=ISO-8601&to=ISO-8601}: the ledger's
 * totals of requests, tokens, cost and energy by group over {@code [from, to)} (default: today, UTC,
 * so far). A key sees its own usage; the master key (and everyone on a gateway without keys) sees
 * all. The caller's own requests just before are counted: the ledger's pending records are written
 * first (waiting at most a second).
 */
final class UsageEndpoint {

    private static final Duration FLUSH_WAIT = Duration.ofSeconds(1);

    private final Ledger ledger;
    private final Clock clock;

    UsageEndpoint(Ledger ledger, Clock clock) {
        this.ledger = ledger;
        this.clock = clock;
    }

    void handle(ServerRequest req, ServerResponse res) throws InterruptedException {
        var query = req.query();
        String groupKey = query.first("group_by").orElse("model");
        UsageTotal.GroupBy group = UsageTotal.GroupBy.of(groupKey).orElseThrow(() -> ApiException.invalidRequest("group_by",
                "group_by must be one of " + Arrays.stream(UsageTotal.GroupBy.values()).map(UsageTotal.GroupBy::key)
                        .collect(Collectors.joining(", ")) + "; got '" + Quote.clip(groupKey) + "'."));
        Instant now = clock.instant();
        Instant from = query.first("from").map(v -> instant("from", v))
                .orElse(Period.DAY.start(now));
        Instant to = query.first("to").map(v -> instant("to", v)).orElse(now.plusMillis(1));
        if (!to.isAfter(from)) {
            throw ApiException.invalidRequest("to", "to (" + to + ") must be after from (" + from + ").");
        }
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        Optional<String> onlyKey = Exchange.seesAll(exchange.keyId()) ? Optional.empty() : Optional.of(exchange.keyId());
        ledger.awaitWritten(FLUSH_WAIT);
        List<UsageTotal> totals = ledger.totals(group, from, to, onlyKey);
        ObjectNode body = Json.object().put("object", "list");
        ArrayNode data = body.putArray("data");
        for (UsageTotal total : totals) {
            data.addObject().put("group", total.group()).put("requests", total.requests())
                    .put("prompt_tokens", total.promptTokens()).put("completion_tokens", total.completionTokens())
                    .put("cost_usd", total.costUsd()).put("energy_wh", total.energyWh())
                    .put("cache_hits", total.cacheHits()).put("saved_cost_usd", total.savedCostUsd())
                    .put("saved_energy_wh", total.savedEnergyWh());
        }
        body.put("group_by", group.key()).put("from", from.toString()).put("to", to.toString());
        Responses.reply(req, res, 200, body);
    }

    /**
     * {@code GET /v1/workflows/{id}}: an agent run's totals from the ledger — requests, tokens, cost and
     * energy, and the models that served it with their share — the caller's own requests (everyone's
     * for the master key). 404 when the workflow has no request recorded.
     */
    void workflow(ServerRequest req, ServerResponse res) throws InterruptedException {
        String id = req.path().pathParameters().get("id");
        if (!io.micromesh.core.dispatch.Caller.LABEL.matcher(id).matches()) {
            throw ApiException.invalidRequest("id", "A workflow id is 1 to 128 letters, digits or ._:/+=-.");
        }
        Exchange exchange = req.context().get(Exchange.class).orElseThrow();
        Optional<String> onlyKey = Exchange.seesAll(exchange.keyId()) ? Optional.empty() : Optional.of(exchange.keyId());
        ledger.awaitWritten(FLUSH_WAIT);
        List<Ledger.WorkflowPart> parts = ledger.workflow(id, onlyKey);
        if (parts.isEmpty()) {
            throw new ApiException(404, new io.micromesh.api.ApiError("No request of workflow '" + Quote.clip(id)
                    + "' is recorded.", "invalid_request_error", "id", "workflow_not_found"));
        }
        ObjectNode body = Json.object().put("id", id).put("object", "workflow");
        long requests = 0;
        long prompt = 0;
        long completion = 0;
        double cost = 0;
        double energy = 0;
        ArrayNode models = body.putArray("models");
        for (Ledger.WorkflowPart part : parts) {
            models.addObject().put("model", part.model()).put("requests", part.requests()).put("prompt_tokens", part.promptTokens())
                    .put("completion_tokens", part.completionTokens()).put("cost_usd", part.costUsd())
                    .put("energy_wh", part.energyWh());
            requests += part.requests();
            prompt += part.promptTokens();
            completion += part.completionTokens();
            cost += part.costUsd();
            energy += part.energyWh();
        }
        body.put("requests", requests).put("prompt_tokens", prompt).put("completion_tokens", completion).put("cost_usd", cost)
                .put("energy_wh", energy);
        Responses.reply(req, res, 200, body);
    }

    /** An ISO-8601 instant ({@code 2026-12-04T09:00:00Z}) or date ({@code 2026-12-04}, its start in UTC). */
    private static Instant instant(String param, String value) {
        try {
            return Period.parseInstantOrDate(value);
        } catch (DateTimeParseException e) {
            throw ApiException.invalidRequest(param, param + " must be an ISO-8601 instant such as 2026-12-04T09:00:00Z or a"
                    + " date such as 2026-12-04; got '" + Quote.clip(value) + "'.");
        }
    }
}
