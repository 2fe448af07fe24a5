package io.micromesh.core.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.Json;
import io.micromesh.core.MeshException;
import io.micromesh.core.ServedModel;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.routing.Decision;
import io.micromesh.core.routing.Learning;
import io.micromesh.core.routing.verify.AnswerVerifier;
import io.micromesh.core.routing.verify.Verdict;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.Usage;
import java.util.ArrayList;
import java.util.List;

/**
 * Serves a chat request of a route that verifies: asks the decision's models in order (from the
 * cheapest up), checks each answer, and keeps the first answer that passes — or, when none does,
 * the last model's (the strongest answer there is), saying so. Every verdict is learned, and every
 * call (answers, failures, the checks' own calls) goes into the request's trail. A streaming client
 * gets the verified answer replayed as chunks once it has passed ({@link #chunks}): the first token
 * waits for the whole cascade, but nothing unchecked ever reaches the client (see docs/routing.md).
 */
final class Cascade {

    /**
     * The answer a cascade settled on.
     *
     * @param body    the answer, with the model's id, the completion id and the usage written in
     * @param model   the model that gave it
     * @param tokens  what the answer used
     * @param account what happened, for {@code x-mesh-cascade}
     */
    record Settled(ObjectNode body, ServedModel model, Usage tokens, String account) {
    }

    private final AnswerVerifier verifier;
    private final Learning learning;
    private final io.opentelemetry.api.trace.Tracer tracer;

    Cascade(AnswerVerifier verifier, Learning learning, io.opentelemetry.api.trace.Tracer tracer) {
        this.verifier = verifier;
        this.learning = learning;
        this.tracer = tracer;
    }

    /**
     * Runs the cascade for {@code request} (whether or not it streams: the models are asked for whole answers).
     *
     * @throws MeshException when the last model fails, or any fails for good
     */
    Settled run(ChatRequest request, Decision decision, Admission admission, Trail trail) {
        ChatRequest whole = request.stream() ? withoutStreaming(request) : request;
        if (decision.verify().minMeanLogprob() != null && !request.body().path("logprobs").asBoolean(false)) {
            ObjectNode body = whole.body().deepCopy();
            body.put("logprobs", true);
            whole = ChatRequest.parse(body);
        }
        List<String> steps = new ArrayList<>();
        List<ServedModel> order = decision.order();
        for (int i = 0; i < order.size(); i++) {
            ServedModel model = order.get(i);
            boolean last = i == order.size() - 1;
            trail.trying(new Served(model.id(), java.util.Optional.of(decision.header()), java.util.Optional.empty(),
                    model.tariff().energyMethod()));
            // the tier's span holds its call and its checks (second sample, judge), which carry its context upstream
            io.opentelemetry.api.trace.Span tier = tracer.spanBuilder("cascade " + model.id())
                    .setSpanKind(io.opentelemetry.api.trace.SpanKind.CLIENT).setAttribute("gen_ai.request.model", model.id())
                    .setAttribute("mesh.tier", i).startSpan();
            Admission traced = Tracing.carrying(admission, tier);
            BackendReply reply;
            List<AnswerVerifier.Spent> spent = new ArrayList<>();
            Verdict verdict;
            try (io.opentelemetry.context.Scope ignored = tier.makeCurrent()) {
                try {
                    reply = model.backend().call(whole, traced);
                } catch (MeshException e) {
                    tier.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR, Trail.key(e));
                    trail.failed(model.id(), e);
                    if (last || !e.retriable()) {
                        throw e;
                    }
                    steps.add(model.id() + " failed");
                    continue;
                }
                try {
                    verdict = verifier.verify(decision.verify(), whole, model, reply, traced, spent);
                } catch (RuntimeException e) {
                    trail.answered(model.id(), reply.replica(), reply.tokens(), model.tariff().charge(reply.tokens()), "");
                    spent.forEach(s -> trail.checked(s.model().id(), s.usage(), s.model().tariff().charge(s.usage())));
                    throw e;
                }
                tier.setAttribute("mesh.verdict", verdict instanceof Verdict.Failed failed ? failed.check() : "passed");
            } finally {
                tier.end();
            }
            trail.answered(model.id(), reply.replica(), reply.tokens(), model.tariff().charge(reply.tokens()),
                    verdict instanceof Verdict.Failed failed ? failed.check() : "passed");
            spent.forEach(s -> trail.checked(s.model().id(), s.usage(), s.model().tariff().charge(s.usage())));
            learning.verdict(decision, model.id(), verdict);
            steps.add(model.id() + " " + verdict.detail());
            if (verdict.passed() || last) {
                return new Settled(reply.body(), model, reply.tokens(), (verdict.passed() ? "passed" : "none passed; the last answer") + ": "
                        + String.join("; ", steps));
            }
        }
        throw new IllegalStateException("a cascade ended without an answer");
    }

    /** The settled answer as the client gets it: its own completion id, remembered for feedback. */
    ObjectNode finish(ChatRequest request, Decision decision, Settled settled, Charge total) {
        String id = Learning.completionId();
        learning.remember(id, decision, settled.model().id());
        ObjectNode out = settled.body();
        out.put("id", id);
        out.put("model", settled.model().id());
        if (!request.body().path("logprobs").asBoolean(false)) {
            out.withArray("choices").forEach(choice -> ((ObjectNode) choice).remove("logprobs"));
        }
        ObjectNode usage = settled.tokens().writeTo(out.withObject("/usage"));
        // the answer's tokens; cost and energy are those of every call the request took
        usage.put("cost_usd", total.costUsd());
        usage.put("energy_wh", total.energyWh());
        return out;
    }

    private static ChatRequest withoutStreaming(ChatRequest request) {
        ObjectNode body = request.body().deepCopy();
        body.put("stream", false);
        body.remove("stream_options");
        return ChatRequest.parse(body);
    }

    /** A whole chat completion as the chunks a stream of it would have carried. */
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
        ObjectNode chunk = Json.object();
        chunk.put("id", completion.path("id").asText()).put("object", "chat.completion.chunk")
                .put("created", completion.path("created").asLong()).put("model", completion.path("model").asText());
        return chunk;
    }
}
