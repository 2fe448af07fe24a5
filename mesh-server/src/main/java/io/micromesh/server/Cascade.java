package io.micromesh.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerResponse;
import io.micromesh.api.ChatRequest;
import io.micromesh.core.ServedModel;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.dispatch.Admission;
import io.micromesh.core.routing.Decision;
import io.micromesh.core.routing.verify.AnswerVerifier;
import io.micromesh.core.routing.verify.Verdict;
import io.micromesh.core.MeshException;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ClientGoneException;
import io.micromesh.core.spi.Usage;
import java.util.ArrayList;
import java.util.List;

/**
 * Serves a chat request of a route that verifies: asks the decision's models in order (from the
 * cheapest up), checks each answer, and gives the client the first answer that passes — or, when
 * none does, the last model's (the strongest answer there is), marked as such in
 * {@code x-mesh-cascade}. Every verdict is learned. A streaming client gets the verified answer
 * replayed as server-sent events once it has passed: the first token waits for the whole cascade,
 * but nothing unchecked ever reaches the client (see docs/routing.md). The {@code usage} tokens are
 * the answer's; {@code cost_usd} and {@code energy_wh} are those of every call the request took.
 */
final class Cascade {

    private final AnswerVerifier verifier;
    private final Learning learning;
    private final GatewayMetrics metrics;

    Cascade(AnswerVerifier verifier, Learning learning, GatewayMetrics metrics) {
        this.verifier = verifier;
        this.learning = learning;
        this.metrics = metrics;
    }

    void serve(ChatRequest request, Decision decision, Admission admission, ServerResponse res, Exchange exchange) {
        ChatRequest whole = request.stream() ? withoutStreaming(request) : request;
        if (decision.verify().minMeanLogprob() != null && !request.body().path("logprobs").asBoolean(false)) {
            ObjectNode body = whole.body().deepCopy();
            body.put("logprobs", true);
            whole = ChatRequest.parse(body);
        }
        List<String> trail = new ArrayList<>();
        Usage used = Usage.NONE;
        Charge charged = null;
        List<ServedModel> order = decision.order();
        for (int i = 0; i < order.size(); i++) {
            ServedModel model = order.get(i);
            boolean last = i == order.size() - 1;
            exchange.model(model.id());
            ModelFit.check(model.spec(), whole);
            BackendReply reply;
            try {
                reply = model.backend().call(whole, admission);
            } catch (MeshException e) {
                if (last || !e.retriable()) {
                    throw Failures.toApi(e);
                }
                trail.add(model.id() + " failed");
                continue;
            }
            List<AnswerVerifier.Spent> spent = new ArrayList<>();
            spent.add(new AnswerVerifier.Spent(model, reply.tokens()));
            Verdict verdict;
            try {
                verdict = verifier.verify(decision.verify(), whole, model, reply, admission, spent);
            } finally {
                for (AnswerVerifier.Spent s : spent) {
                    Charge c = s.model().tariff().charge(s.usage());
                    metrics.charged(s.model().id(), s.usage(), c);
                    charged = charged == null ? c : charged.plus(c);
                    used = used.plus(s.usage());
                }
            }
            learning.verdict(decision, model.id(), verdict);
            metrics.verdict(decision.route(), model.id(),
                    verdict instanceof Verdict.Failed failed ? failed.check() : "passed");
            trail.add(model.id() + " " + verdict.detail());
            if (verdict.passed() || last) {
                exchange.tokens(used);
                answer(request, decision, model, reply, charged, verdict.passed(), trail, res, exchange);
                return;
            }
        }
        throw new IllegalStateException("a cascade ended without an answer");
    }

    private void answer(ChatRequest request, Decision decision, ServedModel model, BackendReply reply, Charge total,
                        boolean passed, List<String> trail, ServerResponse res, Exchange exchange) {
        String id = Learning.completionId();
        learning.remember(id, decision, model.id());
        ObjectNode out = reply.body();
        out.put("id", id);
        out.put("model", model.id());
        if (!request.body().path("logprobs").asBoolean(false)) {
            out.withArray("choices").forEach(choice -> ((ObjectNode) choice).remove("logprobs"));
        }
        ObjectNode usage = reply.tokens().writeTo(out.withObject("/usage"));
        usage.put("cost_usd", total.costUsd());
        usage.put("energy_wh", total.energyWh());
        res.header(Responses.MESH_ROUTE, decision.header());
        res.header(Responses.MESH_CASCADE, (passed ? "passed" : "none passed; the last answer") + ": "
                + String.join("; ", trail));
        res.header(Responses.MESH_MODEL, model.id());
        res.header(Responses.ENERGY_METHOD, total.method().key());
        if (!request.stream()) {
            Responses.json(res, 200, out);
            return;
        }
        SseStream stream = new SseStream(res, model, exchange, metrics);
        try {
            for (ObjectNode chunk : Replay.chunks(out, request.includeUsage())) {
                stream.send(chunk);
            }
            stream.finish();
        } catch (ClientGoneException e) {
            exchange.markClientGone();
        }
    }

    private static ChatRequest withoutStreaming(ChatRequest request) {
        ObjectNode body = request.body().deepCopy();
        body.put("stream", false);
        body.remove("stream_options");
        return ChatRequest.parse(body);
    }

    /** A whole chat completion as the chunks a stream of it would have carried. */
    static final class Replay {

        private Replay() {
        }

        static List<ObjectNode> chunks(ObjectNode completion, boolean includeUsage) {
            List<ObjectNode> chunks = new ArrayList<>();
            for (JsonNode choice : completion.path("choices")) {
                ObjectNode delta = chunk(completion);
                ObjectNode c = delta.putArray("choices").addObject().put("index", choice.path("index").asInt());
                ObjectNode d = c.putObject("delta").put("role", "assistant");
                JsonNode message = choice.path("message");
                if (message.has("content") && !message.get("content").isNull()) {
                    d.set("content", message.get("content"));
                }
                if (message.has("tool_calls")) {
                    d.set("tool_calls", message.get("tool_calls"));
                }
                c.putNull("finish_reason");
                chunks.add(delta);
                ObjectNode end = chunk(completion);
                end.putArray("choices").addObject().put("index", choice.path("index").asInt()).putObject("delta");
                ((ObjectNode) end.path("choices").get(0)).set("finish_reason", choice.path("finish_reason"));
                chunks.add(end);
            }
            if (includeUsage) {
                ObjectNode usage = chunk(completion);
                usage.putArray("choices");
                usage.set("usage", completion.path("usage"));
                chunks.add(usage);
            }
            return chunks;
        }

        private static ObjectNode chunk(ObjectNode completion) {
            ObjectNode chunk = io.micromesh.api.Json.object();
            chunk.put("id", completion.path("id").asText()).put("object", "chat.completion.chunk")
                    .put("created", completion.path("created").asLong()).put("model", completion.path("model").asText());
            return chunk;
        }
    }
}
