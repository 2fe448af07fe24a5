package io.micromesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mesh usage}: a running gateway's usage ledger as a table, by model, route, key or workflow. */
@Command(name = "usage",
        mixinStandardHelpOptions = true,
        description = {"Print the usage a running gateway recorded: requests, tokens, cost (USD) and energy (Wh) by"
                + " model, route, key or workflow, as GET /v1/usage answers it.",
                "A key sees its own usage; the master key (or anyone, on a gateway without keys) sees all.",
                "Environment: MESH_API_KEY, the key to send when --key is not given."})
final class UsageCommand implements Callable<Integer> {

    @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080",
            description = "The gateway (default: ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--key", paramLabel = "KEY", description = "The API key to send (default: $MESH_API_KEY).")
    String key;

    @Option(names = "--group-by", paramLabel = "GROUP", defaultValue = "model",
            description = "model, route, key or workflow (default: ${DEFAULT-VALUE}).")
    String groupBy;

    @Option(names = "--from", paramLabel = "WHEN",
            description = "From this instant or date, e.g. 2026-12-04T09:00:00Z or 2026-12-01 (default: today, UTC).")
    String from;

    @Option(names = "--to", paramLabel = "WHEN", description = "Up to this instant or date, excluded (default: now).")
    String to;

    @Option(names = "--json", description = "Print the gateway's JSON answer instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    /** Where MESH_API_KEY is read; tests put their own. */
    Map<String, String> environment = System.getenv();

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        StringBuilder query = new StringBuilder("group_by=").append(encode(groupBy));
        if (from != null) {
            query.append("&from=").append(encode(from));
        }
        if (to != null) {
            query.append("&to=").append(encode(to));
        }
        URI uri;
        try {
            uri = URI.create(url.replaceAll("/+$", "").replaceAll("/v1$", "") + "/v1/usage?" + query);
        } catch (IllegalArgumentException e) {
            throw new UserError("--url '" + url + "' is not a URL: " + e.getMessage());
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET();
        String secret = key != null ? key : environment.get("MESH_API_KEY");
        if (secret != null && !secret.isBlank()) {
            request.header("Authorization", "Bearer " + secret);
        }
        HttpResponse<byte[]> response;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new UserError("cannot reach the gateway at " + url + " (is mesh serve running there?)");
        } catch (IOException e) {
            throw new UserError("the gateway at " + url + " did not answer: " + e.getMessage());
        }
        JsonNode body;
        try {
            body = Json.parseObject(response.body());
        } catch (RuntimeException e) {
            throw new UserError("the gateway at " + url + " answered HTTP " + response.statusCode() + " without JSON");
        }
        if (response.statusCode() != 200) {
            throw new UserError("the gateway refused (HTTP " + response.statusCode() + "): "
                    + body.path("error").path("message").asText("no message"));
        }
        if (json) {
            out.println(body.toString());
        } else {
            printTable(out, body);
        }
        out.flush();
        return 0;
    }

    private static void printTable(PrintWriter out, JsonNode body) {
        String groupBy = body.path("group_by").asText();
        out.println("usage by " + groupBy + " from " + body.path("from").asText() + " to " + body.path("to").asText());
        String format = "%-32s %10s %14s %14s %12s %12s%n";
        out.printf(Locale.ROOT, format, groupBy.toUpperCase(Locale.ROOT), "REQUESTS", "PROMPT_TOK", "COMPLETION_TOK",
                "COST_USD", "ENERGY_WH");
        long requests = 0;
        long prompt = 0;
        long completion = 0;
        double cost = 0;
        double energy = 0;
        for (JsonNode row : body.path("data")) {
            String group = row.path("group").asText();
            out.printf(Locale.ROOT, format, group.isEmpty() ? "(none)" : group, row.path("requests").asLong(),
                    row.path("prompt_tokens").asLong(), row.path("completion_tokens").asLong(),
                    money(row.path("cost_usd").asDouble()), wattHours(row.path("energy_wh").asDouble()));
            requests += row.path("requests").asLong();
            prompt += row.path("prompt_tokens").asLong();
            completion += row.path("completion_tokens").asLong();
            cost += row.path("cost_usd").asDouble();
            energy += row.path("energy_wh").asDouble();
        }
        out.printf(Locale.ROOT, format, "TOTAL", requests, prompt, completion, money(cost), wattHours(energy));
    }

    private static String money(double usd) {
        return String.format(Locale.ROOT, "%.6f", usd);
    }

    private static String wattHours(double wh) {
        return String.format(Locale.ROOT, "%.4f", wh);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
