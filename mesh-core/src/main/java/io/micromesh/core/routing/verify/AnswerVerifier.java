package io.micromesh.core.routing.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.Json;
import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.config.VerifySpec;
import io.micromesh.core.dispatch.Admission;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.Usage;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Checks a chat answer the way a route's {@code verify} asks, cheapest check first, and stops at the
 * first that fails: visible text (or tool calls), no refusal, JSON (and its schema) when JSON was
 * asked for, the mean token log-probability when configured, then the checks that call a model —
 * a second sample from the same model that must agree (self-consistency) and a judge model's score.
 * Calls made for checking are reported to the caller to be charged. Thread-safe.
 */
public final class AnswerVerifier {

    /** A call made while checking, to be charged to the request. */
    public record Spent(ServedModel model, Usage usage) {
    }

    private static final int REFUSAL_WINDOW = 300;
    private static final Pattern SCORE = Pattern.compile("\\b(10|[0-9])\\b");

    private final Portfolio portfolio;
    private final java.util.Map<String, Pattern> patterns = new java.util.concurrent.ConcurrentHashMap<>();
    private final SchemaRegistry schemas = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    public AnswerVerifier(Portfolio portfolio) {
        this.portfolio = portfolio;
    }

    /**
     * Checks the first choice of {@code reply}, the answer of {@code model} to {@code request}.
     *
     * @param admission how the checks' own calls are admitted (the request's lane and deadline)
     * @param spent     receives the calls made for checking
     */
    public Verdict verify(VerifySpec spec, ChatRequest request, ServedModel model, BackendReply reply, Admission admission,
                          List<Spent> spent) {
        JsonNode message = reply.body().path("choices").path(0).path("message");
        String text = message.path("content").asText("");
        boolean toolCalls = message.path("tool_calls").size() > 0;
        if (spec.nonEmpty() && text.isBlank() && !toolCalls) {
            return new Verdict.Failed("non-empty", "the answer has no text");
        }
        String opening = text.substring(0, Math.min(REFUSAL_WINDOW, text.length()));
        for (String refusal : spec.refusals()) {
            Matcher m = patterns.computeIfAbsent(refusal, r -> Pattern.compile(r, Pattern.CASE_INSENSITIVE)).matcher(opening);
            if (m.find()) {
                return new Verdict.Failed("refusal", "the answer opens with a refusal ('" + ascii(m.group()) + "')");
            }
        }
        if (spec.jsonSchema() && toolCalls) {
            Verdict calls = toolCalls(request, message.path("tool_calls"));
            if (calls != null) {
                return calls;
            }
        }
        if (spec.jsonSchema() && !request.responseFormat().equals("text")) {
            Verdict json = json(request, text);
            if (json != null) {
                return json;
            }
        }
        if (spec.minMeanLogprob() != null) {
            JsonNode tokens = reply.body().path("choices").path(0).path("logprobs").path("content");
            if (!tokens.isArray() || tokens.isEmpty()) {
                return new Verdict.Failed("min-mean-logprob", "the backend returned no log-probabilities");
            }
            double sum = 0;
            for (JsonNode t : tokens) {
                sum += t.path("logprob").asDouble();
            }
            double mean = sum / tokens.size();
            if (mean < spec.minMeanLogprob()) {
                return new Verdict.Failed("min-mean-logprob", String.format(Locale.ROOT,
                        "mean token log-probability %.3f is under %.3f", mean, spec.minMeanLogprob()));
            }
        }
        if (spec.selfConsistency() != null && !toolCalls) {
            Verdict agreement = selfConsistency(spec.selfConsistency(), request, model, text, admission, spent);
            if (agreement != null) {
                return agreement;
            }
        }
        if (spec.judge() != null) {
            Verdict judged = judge(spec.judge(), request, text, admission, spent);
            if (judged != null) {
                return judged;
            }
        }
        return new Verdict.Passed();
    }

    /**
     * Whether every tool call names a tool the request offered and has arguments that parse and fit
     * that tool's parameter schema: a small model's malformed call is a reason to escalate.
     */
    private Verdict toolCalls(ChatRequest request, JsonNode calls) {
        java.util.Map<String, JsonNode> parameters = new java.util.HashMap<>();
        request.body().path("tools").forEach(tool -> parameters.put(tool.path("function").path("name").asText(),
                tool.path("function").path("parameters")));
        for (JsonNode call : calls) {
            String name = call.path("function").path("name").asText();
            if (!parameters.containsKey(name)) {
                return new Verdict.Failed("json-schema", "the answer calls '" + ascii(name) + "', which the request does not offer");
            }
            JsonNode arguments;
            try {
                arguments = Json.mapper().readTree(call.path("function").path("arguments").asText());
            } catch (Exception e) {
                return new Verdict.Failed("json-schema", "the arguments of '" + ascii(name) + "' are not JSON");
            }
            JsonNode schemaNode = parameters.get(name);
            if (arguments == null || !arguments.isObject()) {
                return new Verdict.Failed("json-schema", "the arguments of '" + ascii(name) + "' are not a JSON object");
            }
            if (schemaNode.isObject() && !schemaNode.isEmpty()) {
                List<Error> errors = schemas.getSchema(schemaNode).validate(arguments);
                if (!errors.isEmpty()) {
                    return new Verdict.Failed("json-schema", "the arguments of '" + ascii(name) + "' do not match its schema: "
                            + ascii(errors.getFirst().getMessage()));
                }
            }
        }
        return null;
    }

    private Verdict json(ChatRequest request, String text) {
        JsonNode parsed;
        try {
            parsed = Json.mapper().readTree(text);
        } catch (Exception e) {
            return new Verdict.Failed("json-schema", "the answer is not JSON");
        }
        if (parsed == null || !parsed.isObject() && request.responseFormat().equals("json_object")) {
            return new Verdict.Failed("json-schema", "the answer is not a JSON object");
        }
        JsonNode schemaNode = request.body().path("response_format").path("json_schema").path("schema");
        if (request.responseFormat().equals("json_schema") && schemaNode.isObject()) {
            Schema schema = schemas.getSchema(schemaNode);
            List<Error> errors = schema.validate(parsed);
            if (!errors.isEmpty()) {
                return new Verdict.Failed("json-schema", "the answer does not match the schema: "
                        + ascii(errors.getFirst().getMessage()));
            }
        }
        return null;
    }

    private Verdict selfConsistency(VerifySpec.ConsistencySpec spec, ChatRequest request, ServedModel model,
                                    String first, Admission admission, List<Spent> spent) {
        ObjectNode body = request.body().deepCopy();
        body.put("temperature", spec.temperature());
        body.put("stream", false);
        body.remove("stream_options");
        body.put("n", 1);
        body.remove("seed");  // the same seed would give the same sample, agreeing by construction
        BackendReply second = model.backend().call(ChatRequest.parse(body), admission);
        spent.add(new Spent(model, second.tokens()));
        String other = second.body().path("choices").path(0).path("message").path("content").asText("");
        double agreement = agreement(first, other);
        if (agreement < spec.agreement()) {
            return new Verdict.Failed("self-consistency", String.format(Locale.ROOT,
                    "a second sample agrees %.2f, under %.2f", agreement, spec.agreement()));
        }
        return null;
    }

    /**
     * How much two answers agree: 1 or 0 when both are JSON (equal as JSON or not), else the
     * Jaccard overlap of their lower-cased word sets.
     */
    static double agreement(String a, String b) {
        try {
            JsonNode ja = Json.mapper().readTree(a);
            JsonNode jb = Json.mapper().readTree(b);
            if (ja != null && jb != null && (ja.isContainerNode() || jb.isContainerNode())) {
                return ja.equals(jb) ? 1 : 0;
            }
        } catch (Exception notJson) {
            // compare as words
        }
        Set<String> wa = words(a);
        Set<String> wb = words(b);
        if (wa.isEmpty() && wb.isEmpty()) {
            return 1;
        }
        Set<String> union = new HashSet<>(wa);
        union.addAll(wb);
        wa.retainAll(wb);
        return wa.size() / (double) union.size();
    }

    private static Set<String> words(String text) {
        return Arrays.stream(text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+"))
                .filter(w -> !w.isEmpty()).collect(Collectors.toCollection(HashSet::new));
    }

    private Verdict judge(VerifySpec.JudgeSpec spec, ChatRequest request, String answer, Admission admission,
                          List<Spent> spent) {
        ServedModel judge = portfolio.model(spec.model()).orElseThrow();
        String question = lastUserText(request.body());
        ObjectNode body = Json.object().put("model", judge.id()).put("max_tokens", 8).put("temperature", 0);
        body.putArray("messages").addObject().put("role", "user")
                .put("content", spec.prompt().replace("{question}", question).replace("{answer}", answer));
        BackendReply reply = judge.backend().call(ChatRequest.parse(body), admission);
        spent.add(new Spent(judge, reply.tokens()));
        String said = reply.body().path("choices").path(0).path("message").path("content").asText("");
        Matcher m = SCORE.matcher(said);
        if (!m.find()) {
            return new Verdict.Failed("judge", judge.id() + " gave no score from 0 to 10 ('" + ascii(said) + "')");
        }
        double score = Integer.parseInt(m.group(1)) / 10.0;
        if (score < spec.threshold()) {
            return new Verdict.Failed("judge", String.format(Locale.ROOT, "%s scored %.1f, under %.1f",
                    judge.id(), score, spec.threshold()));
        }
        return null;
    }

    private static String lastUserText(JsonNode body) {
        JsonNode messages = body.path("messages");
        for (int i = messages.size() - 1; i >= 0; i--) {
            JsonNode m = messages.get(i);
            if (m.path("role").asText().equals("user")) {
                JsonNode content = m.path("content");
                if (content.isTextual()) {
                    return content.asText();
                }
                StringBuilder text = new StringBuilder();
                content.forEach(part -> text.append(part.path("text").asText("")));
                return text.toString();
            }
        }
        return "";
    }

    /** Printable ASCII only, at most 80 characters: the account goes into a header. */
    private static String ascii(String s) {
        String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
        return clean.length() > 80 ? clean.substring(0, 77) + "..." : clean;
    }
}
