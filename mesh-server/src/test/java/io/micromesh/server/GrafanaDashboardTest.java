package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micromesh.api.Json;
import io.micromesh.testkit.StandInServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code docs/grafana-dashboard.json} cannot drift: every metric its queries use is one the gateway exposes. */
@Timeout(60)
class GrafanaDashboardTest {

    private static final Pattern METRIC = Pattern.compile("\\b((?:mesh|jvm|process)_[a-z_]+)");

    @Test
    void everyMetricTheDashboardQueriesIsExposed() throws Exception {
        JsonNode dashboard = Json.mapper().readTree(Files.readString(Path.of("../docs/grafana-dashboard.json")));
        Set<String> used = new HashSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                Matcher metric = METRIC.matcher(target.path("expr").asText());
                while (metric.find()) {
                    used.add(metric.group(1));
                }
            }
        }
        assertThat(used).hasSizeGreaterThan(10);
        try (StandInServer upstream = StandInServer.start("upstream");
             TestGateway mesh = new TestGateway("""
                     models:
                       - { id: remote, engine: openai, endpoints: ["%s"] }
                     routes:
                       - { name: auto, policy: fallback, candidates: [remote] }
                     """.formatted(upstream.baseUrl()))) {
            mesh.post("/v1/chat/completions", TestGateway.chat("auto", true), "x-mesh-workflow", "w");
            String metrics = mesh.get("/metrics").body();
            for (String name : used) {
                assertThat(metrics).as("the gateway exposes " + name).containsPattern("(?m)^" + name + "[{ ]");
            }
        }
    }
}
