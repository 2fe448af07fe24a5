package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micromesh.core.config.ConfigException;
import io.micromesh.core.config.ConfigLoader;
import io.micromesh.testkit.StandInServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code server.tls}: the gateway serves HTTPS with a PEM certificate and key (made here by openssl). */
@Timeout(60)
class TlsTest {

    @TempDir
    Path dir;

    private void selfSigned(Path cert, Path key) throws Exception {
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-keyout", key.toString(), "-out", cert.toString(), "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost").redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes());
        assertThat(openssl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(openssl.exitValue()).as(output).isZero();
    }

    private static SSLContext trusting(Path cert) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            trust.setCertificateEntry("gateway", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    @Test
    void theGatewayServesHttpsAndNotPlainHttp() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        selfSigned(cert, key);
        try (StandInServer upstream = StandInServer.start("upstream").reply("over TLS");
             TestGateway mesh = new TestGateway("""
                     server: { tls: { cert: "%s", key: "%s" } }
                     models:
                       - { id: remote, engine: openai, endpoints: ["%s"] }
                     """.formatted(cert, key, upstream.baseUrl()));
             HttpClient https = HttpClient.newBuilder().sslContext(trusting(cert)).build();
             HttpClient plain = HttpClient.newHttpClient()) {
            HttpResponse<String> answer = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + mesh.gateway.port()
                            + "/v1/chat/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"remote\", \"messages\": [{\"role\": \"user\","
                            + " \"content\": \"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).contains("over TLS");
            assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mesh.gateway.port()
                    + "/health/live")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()))
                    .as("plain HTTP on the TLS port").isInstanceOf(java.io.IOException.class);
        }
    }

    @Test
    void aMissingKeyFileIsAConfigurationMistakeNamingIt() {
        assertThatThrownBy(() -> ConfigLoader.withEnvironment(Map.of()).parse("""
                server: { tls: { cert: "%s", key: "%s" } }
                models:
                  - { id: remote, engine: openai, endpoints: ["http://127.0.0.1:9"] }
                """.formatted(dir.resolve("none.pem"), dir.resolve("none.key"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tls.cert");
    }
}
