package io.micromesh.core.dispatch;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.api.JsonBody;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.spi.Usage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Writes into an answer what micromesh adds: the served model's id for the upstream's name, the
 * route's completion id, and in {@code usage} the token counts when the upstream gave none, then
 * {@code cost_usd} and {@code energy_wh}. An answer that came as bytes is rewritten as a stream of
 * tokens, copied from parser to generator with those fields replaced, without building a tree and
 * serializing it again (measured in docs/benchmarks.md); a tree is changed in place. Both give the
 * same fields and values: fields keep their places, missing ones are appended in the order model,
 * id, usage (an upstream's own cost and energy, when it is a micromesh gateway, give way to ours).
 */
final class PricedAnswer {

    private static final JsonFactory JSON = Json.mapper().getFactory();

    private PricedAnswer() {
    }

    static JsonBody of(JsonBody answer, String model, String completionId, Usage tokens, Charge charge) {
        if (answer.hasTree()) {
            return JsonBody.of(tree(answer.tree(), model, completionId, tokens, charge));
        }
        try {
            return JsonBody.of(streamed(answer.bytes(), model, completionId, tokens, charge));
        } catch (IOException e) {
            throw new UncheckedIOException("an answer the backend checked cannot be read again", e);
        }
    }

    private static ObjectNode tree(ObjectNode out, String model, String completionId, Usage tokens, Charge charge) {
        out.put("model", model);
        if (completionId != null) {
            out.put("id", completionId);
        }
        ObjectNode usage = out.withObject("/usage");
        if (!usage.has("prompt_tokens") && !usage.has("input_tokens")) {
            usage.put("prompt_tokens", tokens.prompt());
            if (!usage.has("completion_tokens") && tokens.estimated()) {
                usage.put("completion_tokens", tokens.completion());
            }
            usage.put("total_tokens", tokens.total());
        }
        if (tokens.estimated()) {
            usage.put("estimated", true);
        }
        usage.put("cost_usd", charge.costUsd());
        usage.put("energy_wh", charge.energyWh());
        return out;
    }

    private static byte[] streamed(byte[] answer, String model, String completionId, Usage tokens, Charge charge)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(answer.length + 96);
        try (JsonParser p = JSON.createParser(answer); JsonGenerator g = JSON.createGenerator(out)) {
            p.nextToken();  // the answer's START_OBJECT, checked by the backend
            g.writeStartObject();
            boolean sawModel = false;
            boolean sawId = false;
            boolean sawUsage = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("model")) {
                    g.writeStringField("model", model);
                    p.skipChildren();
                    sawModel = true;
                } else if (name.equals("id") && completionId != null) {
                    g.writeStringField("id", completionId);
                    p.skipChildren();
                    sawId = true;
                } else if (name.equals("usage")) {
                    g.writeFieldName("usage");
                    usage(p, value, g, tokens, charge);
                    sawUsage = true;
                } else {
                    g.writeFieldName(name);
                    g.copyCurrentStructure(p);
                }
            }
            if (!sawModel) {
                g.writeStringField("model", model);
            }
            if (completionId != null && !sawId) {
                g.writeStringField("id", completionId);
            }
            if (!sawUsage) {
                g.writeFieldName("usage");
                usage(null, null, g, tokens, charge);
            }
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /** The {@code usage} object at the parser (copied without its cost and energy) or a new one, priced. */
    private static void usage(JsonParser p, JsonToken value, JsonGenerator g, Usage tokens, Charge charge) throws IOException {
        g.writeStartObject();
        boolean counted = false;
        if (value == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("cost_usd") || field.equals("energy_wh")) {
                    p.skipChildren();  // written below, as this gateway charges them
                    continue;
                }
                counted |= field.equals("prompt_tokens") || field.equals("input_tokens");
                g.writeFieldName(field);
                g.copyCurrentStructure(p);
            }
        } else if (p != null) {
            p.skipChildren();  // not an object: replaced by one, as the tree's withObject would
        }
        if (!counted) {
            g.writeNumberField("prompt_tokens", tokens.prompt());
            if (tokens.estimated()) {
                g.writeNumberField("completion_tokens", tokens.completion());
            }
            g.writeNumberField("total_tokens", tokens.total());
        }
        if (tokens.estimated()) {
            g.writeBooleanField("estimated", true);  // micromesh's estimate: the upstream reported no usage
        }
        g.writeNumberField("cost_usd", charge.costUsd());
        g.writeNumberField("energy_wh", charge.energyWh());
        g.writeEndObject();
    }
}
