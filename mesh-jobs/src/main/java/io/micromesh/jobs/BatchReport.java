package io.micromesh.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.store.Journal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The report of a batch job, from its journal: items done, failures by kind, tokens, cost, energy,
 * the split of work between models and micro-model steps (items by model, output fields by
 * producer), and throughput over time (items completed per interval). Written
 * as JSON and as a self-contained HTML page (the chart is inline SVG).
 */
public final class BatchReport {

    /** The {@code items_by_model} entry of items that micro-model steps answered without a model. */
    public static final String STEPS_ONLY = "(steps only)";
    /** The producer of fields that nothing produced (a task's model fields without a model). */
    public static final String NOT_PRODUCED = "(not produced)";

    private BatchReport() {
    }

    /** The report's figures. */
    public static ObjectNode figures(List<Journal.Item> items) {
        ObjectNode report = Json.object();
        long done = 0;
        long failed = 0;
        long promptTokens = 0;
        long completionTokens = 0;
        double cost = 0;
        double energy = 0;
        Map<String, Long> failures = new TreeMap<>();
        Map<String, Long> models = new TreeMap<>();
        Map<String, Long> producers = new TreeMap<>();
        List<Long> times = new ArrayList<>();
        long heardItems = 0;
        double audioSeconds = 0;
        double processingSeconds = 0;
        double heardCost = 0;
        double heardEnergy = 0;
        for (Journal.Item item : items) {
            if (!item.done()) {
                continue;
            }
            done++;
            times.add(item.updatedMs());
            JsonNode line = parse(item.result());
            JsonNode heard = line.path("transcription");
            if (heard.isObject()) {
                heardItems++;
                audioSeconds += heard.path("audio_seconds").asDouble(0);
                processingSeconds += heard.path("processing_seconds").asDouble(0);
                heardCost += heard.path("cost_usd").asDouble(0);
                heardEnergy += heard.path("energy_wh").asDouble(0);
            }
            JsonNode error = line.path("error");
            if (error.isObject()) {
                failed++;
                failures.merge(error.path("code").asText("unknown"), 1L, Long::sum);
                continue;
            }
            // a batch-file line holds the answer under response.body; a task line holds usage and model itself
            JsonNode body = line.has("response") ? line.path("response").path("body") : line;
            JsonNode usage = body.path("usage");
            promptTokens += usage.path("prompt_tokens").asLong(0);
            completionTokens += usage.path("completion_tokens").asLong(0);
            cost += usage.path("cost_usd").asDouble(0);
            energy += usage.path("energy_wh").asDouble(0);
            // a task's line whose steps answered alone names no model
            models.merge(body.path("model").isTextual() ? body.path("model").asText() : line.has("provenance") ? STEPS_ONLY
                    : "unknown", 1L, Long::sum);
            line.path("provenance").properties().forEach(field -> producers.merge(field.getValue().path("by").isTextual()
                    ? field.getValue().path("by").asText() : NOT_PRODUCED,
                    1L, Long::sum));
        }
        report.put("items", items.size()).put("done", done).put("succeeded", done - failed).put("failed", failed);
        ObjectNode byKind = report.putObject("failures_by_kind");
        failures.forEach(byKind::put);
        report.put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("cost_usd", cost + heardCost).put("energy_wh", energy + heardEnergy);
        if (heardItems > 0) {
            // a task over audio: what each stage took, speech to text and then the text
            ObjectNode stages = report.putObject("stages");
            stages.putObject("transcription").put("items", heardItems).put("audio_minutes", audioSeconds / 60)
                    .put("processing_seconds", processingSeconds)
                    .put("real_time_factor", audioSeconds > 0 ? processingSeconds / audioSeconds : 0.0)
                    .put("cost_usd", heardCost).put("energy_wh", heardEnergy);
            stages.putObject("text").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                    .put("cost_usd", cost).put("energy_wh", energy);
        }
        ObjectNode byModel = report.putObject("items_by_model");
        models.forEach(byModel::put);
        if (!producers.isEmpty()) {
            ObjectNode byProducer = report.putObject("fields_by_producer");
            producers.forEach(byProducer::put);
        }
        times.sort(Long::compare);
        if (times.size() > 1) {
            double seconds = Math.max(1e-3, (times.getLast() - times.getFirst()) / 1000.0);
            report.put("items_per_s", Math.round(times.size() / seconds * 10) / 10.0);
            int buckets = 20;
            long width = Math.max(1, (times.getLast() - times.getFirst() + 1) / buckets + 1);
            long[] counts = new long[buckets];
            for (long t : times) {
                counts[(int) Math.min(buckets - 1, (t - times.getFirst()) / width)]++;
            }
            ObjectNode over = report.putObject("throughput_over_time");
            over.put("interval_s", width / 1000.0);
            var series = over.putArray("items");
            for (long c : counts) {
                series.add(c);
            }
        }
        return report;
    }

    /** Writes {@code OUTPUT.report.json} and {@code OUTPUT.report.html} next to the output. */
    public static Path write(Path output, List<Journal.Item> items) {
        ObjectNode report = figures(items);
        Path json = output.resolveSibling(output.getFileName() + ".report.json");
        Path html = output.resolveSibling(output.getFileName() + ".report.html");
        try {
            Files.writeString(json, Json.string(report) + "\n");
            Files.writeString(html, html(output.getFileName().toString(), report));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report: " + e.getMessage(), e);
        }
        return html;
    }

    private static String html(String title, ObjectNode report) {
        StringBuilder page = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>mesh batch: ")
                .append(escape(title)).append("</title><style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 12px;"
                        + "text-align:left}</style></head><body><h1>mesh batch: ").append(escape(title)).append("</h1><table>");
        report.properties().forEach(e -> {
            if (!e.getValue().isContainerNode()) {
                page.append("<tr><th>").append(escape(e.getKey())).append("</th><td>").append(escape(e.getValue().asText()))
                        .append("</td></tr>");
            }
        });
        page.append("</table>");
        for (String section : List.of("failures_by_kind", "items_by_model", "fields_by_producer")) {
            if (!report.has(section)) {
                continue;
            }
            page.append("<h2>").append(section.replace('_', ' ')).append("</h2><table>");
            report.path(section).properties().forEach(e -> page.append("<tr><th>").append(escape(e.getKey()))
                    .append("</th><td>").append(e.getValue().asLong()).append("</td></tr>"));
            page.append("</table>");
        }
        report.path("stages").properties().forEach(stage -> {
            page.append("<h2>stage: ").append(escape(stage.getKey().replace('_', ' '))).append("</h2><table>");
            stage.getValue().properties().forEach(e -> page.append("<tr><th>").append(escape(e.getKey().replace('_', ' ')))
                    .append("</th><td>").append(escape(e.getValue().asText())).append("</td></tr>"));
            page.append("</table>");
        });
        JsonNode over = report.path("throughput_over_time");
        if (over.isObject()) {
            page.append("<h2>items completed per ").append(String.format(Locale.ROOT, "%.1f", over.path("interval_s").asDouble()))
                    .append(" s</h2>").append(bars(over.path("items")));
        }
        return page.append("</body></html>\n").toString();
    }

    private static String bars(JsonNode counts) {
        long max = 1;
        for (JsonNode c : counts) {
            max = Math.max(max, c.asLong());
        }
        int w = 600;
        int h = 160;
        double bar = (double) w / Math.max(1, counts.size());
        StringBuilder svg = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + (h + 20) + "\">");
        for (int i = 0; i < counts.size(); i++) {
            double height = h * counts.get(i).asLong() / (double) max;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4a7\">"
                    + "<title>%d</title></rect>", i * bar + 1, h - height, bar - 2, height, counts.get(i).asLong()));
        }
        return svg.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\" font-size=\"12\">max %d</text></svg>", h + 15, max))
                .toString();
    }

    private static JsonNode parse(String line) {
        try {
            return line == null ? Json.object() : Json.mapper().readTree(line);
        } catch (IOException e) {
            return Json.object();
        }
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
