package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micromesh.testkit.StandInServer;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Issue 19: an upstream server sees the client's request id and trace context, whole and streamed. */
@Timeout(60)
class CorrelationTest {

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void theRequestIdAndAWellFormedTraceparentReachTheUpstream() {
        try (StandInServer upstream = StandInServer.start("upstream");
             TestGateway mesh = new TestGateway("""
                     models:
                       - { id: remote, engine: openai, endpoints: ["%s"] }
                     """.formatted(upstream.baseUrl()))) {
            HttpResponse<String> whole = mesh.post("/v1/chat/completions", TestGateway.chat("remote", false),
                    "x-request-id", "client-req-1", "traceparent", TRACEPARENT);
            assertThat(whole.statusCode()).isEqualTo(200);
            var first = upstream.recorded().getLast();
            assertThat(first.headers()).containsEntry("x-request-id", "client-req-1").containsEntry("traceparent", TRACEPARENT);

            HttpResponse<String> streamed = mesh.post("/v1/chat/completions", TestGateway.chat("remote", true),
                    "traceparent", TRACEPARENT);
            assertThat(streamed.statusCode()).isEqualTo(200);
            var second = upstream.recorded().getLast();
            assertThat(second.headers().get("x-request-id")).as("the gateway's own id when the client sent none")
                    .isEqualTo(streamed.headers().firstValue("x-request-id").orElseThrow());
            assertThat(second.headers()).containsEntry("traceparent", TRACEPARENT);

            mesh.post("/v1/chat/completions", TestGateway.chat("remote", false), "traceparent", "00-not-a-trace-context");
            assertThat(upstream.recorded().getLast().headers()).as("a malformed trace context is dropped")
                    .doesNotContainKey("traceparent");
        }
    }
}
