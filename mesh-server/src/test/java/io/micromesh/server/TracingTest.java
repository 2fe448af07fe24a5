package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.micromesh.testkit.StandInServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 19: with {@code server.tracing}, each request is a span following the GenAI conventions, its
 * routing and each model call are child spans, the caller's trace is continued, and the upstream
 * receives the attempt's trace context; spans reach an in-test OTLP/HTTP receiver.
 */
@Timeout(60)
class TracingTest {

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    /** An OTLP/HTTP receiver: it keeps every span it is sent. */
    private static final class Receiver implements AutoCloseable {
        final List<Span> spans = new CopyOnWriteArrayList<>();
        final List<Throwable> failures = new CopyOnWriteArrayList<>();
        final HttpServer server;

        Receiver() throws Exception {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/v1/traces", exchange -> {
                try {
                    ExportTraceServiceRequest export = ExportTraceServiceRequest.parseFrom(exchange.getRequestBody().readAllBytes());
                    export.getResourceSpansList().forEach(r -> r.getScopeSpansList().forEach(s -> spans.addAll(s.getSpansList())));
                    exchange.sendResponseHeaders(200, -1);
                } catch (Throwable e) {
                    failures.add(e);
                    exchange.sendResponseHeaders(500, -1);
                } finally {
                    exchange.close();
                }
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static String hex(com.google.protobuf.ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

    private static Map<String, String> attributes(Span span) {
        return span.getAttributesList().stream().collect(Collectors.toMap(KeyValue::getKey, kv -> {
            var v = kv.getValue();
            return v.hasStringValue() ? v.getStringValue() : v.hasIntValue() ? String.valueOf(v.getIntValue())
                    : v.hasDoubleValue() ? String.valueOf(v.getDoubleValue()) : v.toString();
        }));
    }

    @Test
    void aRequestIsATraceOfRoutingAndAttemptsThatContinuesTheCallersAndCrossesToTheUpstream() throws Exception {
        try (Receiver receiver = new Receiver(); StandInServer upstream = StandInServer.start("upstream")) {
            TestGateway mesh = new TestGateway("""
                    server: { tracing: { otlp-endpoint: "%s", sample-ratio: 1.0 } }
                    models:
                      - { id: remote, engine: openai, endpoints: ["%s"], price: { input-per-mtok: 1, output-per-mtok: 1 } }
                    routes:
                      - { name: auto, policy: fallback, candidates: [remote] }
                    """.formatted(receiver.url(), upstream.baseUrl()));
            List<String> accessLines = new CopyOnWriteArrayList<>();
            java.util.logging.Handler capture = new java.util.logging.Handler() {
                @Override
                public void publish(java.util.logging.LogRecord record) {
                    if ("io.micromesh.access".equals(record.getLoggerName())) {
                        accessLines.add(record.getMessage());
                    }
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            };
            java.util.logging.Logger access = java.util.logging.Logger.getLogger("io.micromesh.access");
            java.util.logging.Level level = access.getLevel();
            access.setLevel(java.util.logging.Level.INFO);  // whatever another test of this JVM left it at
            access.addHandler(capture);
            try {
                assertThat(mesh.post("/v1/chat/completions", TestGateway.chat("auto", false),
                        "traceparent", "00-" + TRACE_ID + "-" + CALLER_SPAN + "-01").statusCode()).isEqualTo(200);
                // the access line is written once the answer is out: the client may see the answer first
                long deadline = System.nanoTime() + java.time.Duration.ofSeconds(5).toNanos();
                while (accessLines.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
            } finally {
                access.removeHandler(capture);
                access.setLevel(level);
                mesh.close();  // sends the spans still buffered
            }
            assertThat(accessLines).as("the access log names the trace").anySatisfy(line ->
                    assertThat(line).contains("trace_id=" + TRACE_ID));
            assertThat(receiver.failures).as("what the receiver could not read").isEmpty();
            Span request = receiver.spans.stream().filter(s -> s.getName().equals("chat auto")).findFirst().orElseThrow();
            assertThat(request.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
            assertThat(hex(request.getTraceId())).isEqualTo(TRACE_ID);
            assertThat(hex(request.getParentSpanId())).as("the caller's span is the parent").isEqualTo(CALLER_SPAN);
            Map<String, String> attributes = attributes(request);
            assertThat(attributes).containsEntry("gen_ai.operation.name", "chat").containsEntry("gen_ai.request.model", "auto")
                    .containsEntry("gen_ai.response.model", "remote").containsEntry("mesh.route", "auto")
                    .containsEntry("mesh.policy", "fallback").containsEntry("mesh.key_id", "anonymous")
                    .containsKeys("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "mesh.cost_usd", "mesh.energy_wh");
            assertThat(attributes.keySet()).noneMatch(key -> key.contains("prompt") || key.contains("content"));

            String requestSpan = hex(request.getSpanId());
            Span route = receiver.spans.stream().filter(s -> s.getName().equals("route auto")).findFirst().orElseThrow();
            assertThat(hex(route.getParentSpanId())).isEqualTo(requestSpan);
            Span attempt = receiver.spans.stream().filter(s -> s.getName().equals("attempt remote")).findFirst().orElseThrow();
            assertThat(attempt.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
            assertThat(attributes(attempt)).as("the wait for a place at the replica").containsKey("mesh.queue_wait_ms");
            assertThat(hex(attempt.getParentSpanId())).isEqualTo(requestSpan);
            assertThat(upstream.recorded().getLast().headers().get("traceparent")).as("the upstream continues under the attempt")
                    .isEqualTo("00-" + TRACE_ID + "-" + hex(attempt.getSpanId()) + "-01");
        }
    }

    @Test
    void aRequestThatWaitsForAPlaceAtTheReplicaHasAQueueWaitSpanUnderItsAttempt() throws Exception {
        try (Receiver receiver = new Receiver();
             StandInServer upstream = StandInServer.start("upstream").delay(java.time.Duration.ofMillis(300))) {
            TestGateway mesh = new TestGateway("""
                    server: { tracing: { otlp-endpoint: "%s", sample-ratio: 1.0 } }
                    models:
                      - { id: remote, engine: openai, endpoints: ["%s"], max-in-flight: 1 }
                    """.formatted(receiver.url(), upstream.baseUrl()));
            try {
                var first = java.util.concurrent.CompletableFuture.supplyAsync(() -> mesh.post("/v1/chat/completions",
                        TestGateway.chat("remote", false)).statusCode());
                long deadline = System.nanoTime() + java.time.Duration.ofSeconds(5).toNanos();
                while (upstream.generationRequests() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertThat(mesh.post("/v1/chat/completions", TestGateway.chat("remote", false)).statusCode()).isEqualTo(200);
                assertThat(first.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(200);
            } finally {
                mesh.close();  // sends the spans still buffered
            }
            Span wait = receiver.spans.stream().filter(s -> s.getName().equals("queue wait")).findFirst().orElseThrow();
            Span attempt = receiver.spans.stream().filter(s -> hex(s.getSpanId()).equals(hex(wait.getParentSpanId())))
                    .findFirst().orElseThrow();
            assertThat(attempt.getName()).isEqualTo("attempt remote");
            assertThat(attributes(wait)).containsEntry("mesh.lane", "interactive").containsKey("mesh.replica");
            assertThat(Double.parseDouble(attributes(wait).get("mesh.queue_wait_ms"))).as("it waited for the first request")
                    .isGreaterThan(100);
            assertThat(wait.getEndTimeUnixNano() - wait.getStartTimeUnixNano()).isGreaterThan(100_000_000L);
            assertThat(receiver.spans.stream().filter(s -> s.getName().equals("queue wait")).count())
                    .as("only the request that waited").isEqualTo(1);
        }
    }

    @Test
    void aTranscriptionIsASpanAndEachBatchItemATraceLinkedToItsJob() throws Exception {
        try (Receiver receiver = new Receiver(); StandInServer upstream = StandInServer.start("upstream")) {
            io.micromesh.core.config.MeshConfig config = io.micromesh.core.config.ConfigLoader.withEnvironment(Map.of()).parse("""
                    server: { port: 0, state-dir: "%s", access-log: false,
                              tracing: { otlp-endpoint: "%s", sample-ratio: 1.0 } }
                    models:
                      - { id: remote, engine: openai, endpoints: ["%s"] }
                      - { id: remote-asr, engine: openai, endpoints: ["%s"], capabilities: [transcription] }
                    """.formatted(java.nio.file.Files.createTempDirectory("tracing-state"), receiver.url(), upstream.baseUrl(),
                    upstream.baseUrl()));
            MeshRuntime runtime = MeshRuntime.open(config, MeshRuntime.Options.quiet());
            try {
                Gateway gateway = runtime.serve(config.server());
                String boundary = "b";
                java.io.ByteArrayOutputStream form = new java.io.ByteArrayOutputStream();
                form.writeBytes(("--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nremote-asr\r\n--b\r\n"
                        + "Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                form.writeBytes(io.micromesh.testkit.Wavs.tone(16_000, 1, 1.0));
                form.writeBytes("\r\n--b--\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
                    var answer = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                                    + gateway.port() + "/v1/audio/transcriptions"))
                            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(form.toByteArray())).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                }
                io.micromesh.jobs.ItemSender items = runtime.itemSender("batch-key");
                for (String id : List.of("i1", "i2")) {
                    items.send(new io.micromesh.jobs.ItemSender.Request.Json(id, "/v1/chat/completions",
                            io.micromesh.api.Json.parseObject(("{\"model\": \"remote\", \"messages\": [{\"role\": \"user\","
                                    + " \"content\": \"hi\"}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8))));
                }
            } finally {
                runtime.close();  // sends the spans still buffered
            }
            assertThat(receiver.failures).isEmpty();
            Span transcription = receiver.spans.stream().filter(s -> s.getName().equals("transcription remote-asr"))
                    .findFirst().orElseThrow();
            assertThat(attributes(transcription)).containsEntry("gen_ai.response.model", "remote-asr");
            assertThat(receiver.spans).anySatisfy(s -> {
                assertThat(s.getName()).isEqualTo("attempt remote-asr");
                assertThat(hex(s.getParentSpanId())).isEqualTo(hex(transcription.getSpanId()));
            });
            Span job = receiver.spans.stream().filter(s -> s.getName().equals("batch job")).findFirst().orElseThrow();
            List<Span> itemSpans = receiver.spans.stream().filter(s -> s.getName().equals("batch item")).toList();
            assertThat(itemSpans).hasSize(2).allSatisfy(item -> {
                assertThat(item.getParentSpanId().isEmpty()).as("a trace of its own").isTrue();
                assertThat(item.getLinksList()).anySatisfy(link -> assertThat(hex(link.getSpanId())).isEqualTo(hex(job.getSpanId())));
                assertThat(receiver.spans).anySatisfy(s -> {
                    assertThat(s.getName()).isEqualTo("attempt remote");
                    assertThat(hex(s.getParentSpanId())).isEqualTo(hex(item.getSpanId()));
                });
            });
        }
    }

    @Test
    void eachTierOfACascadeIsASpanWithItsVerdict() throws Exception {
        java.nio.file.Path state = java.nio.file.Files.createTempDirectory("tracing-cascade");
        try (Receiver receiver = new Receiver();
             StandInServer cheap = StandInServer.start("cheap").reply("I'm sorry, but I can't help with that.");
             StandInServer strong = StandInServer.start("strong").reply("Paris.")) {
            TestGateway mesh = new TestGateway("""
                    server: { tracing: { otlp-endpoint: "%s" } }
                    models:
                      - { id: cheap, engine: openai, endpoints: ["%s"] }
                      - { id: strong, engine: openai, endpoints: ["%s"] }
                    routes:
                      - { name: checked, policy: cascade, candidates: [cheap, strong] }
                    """.formatted(receiver.url(), cheap.baseUrl(), strong.baseUrl()), state);
            try {
                assertThat(mesh.post("/v1/chat/completions", TestGateway.chat("checked", false)).statusCode()).isEqualTo(200);
            } finally {
                mesh.close();
            }
            Span request = receiver.spans.stream().filter(s -> s.getName().equals("chat checked")).findFirst().orElseThrow();
            Span first = receiver.spans.stream().filter(s -> s.getName().equals("cascade cheap")).findFirst().orElseThrow();
            Span second = receiver.spans.stream().filter(s -> s.getName().equals("cascade strong")).findFirst().orElseThrow();
            assertThat(hex(first.getParentSpanId())).isEqualTo(hex(request.getSpanId()));
            assertThat(hex(second.getParentSpanId())).isEqualTo(hex(request.getSpanId()));
            assertThat(attributes(first).get("mesh.verdict")).isNotEqualTo("passed");
            assertThat(attributes(second)).containsEntry("mesh.verdict", "passed");
            assertThat(strong.recorded().getLast().headers().get("traceparent")).contains(hex(second.getSpanId()));
        }
    }
}
