package io.micromesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A throwaway PostgreSQL answers psql, goes away on stop and comes back on the same port. Skips
 * where PostgreSQL is not installed ({@code .ci/run} installs Debian's postgresql).
 */
class PostgresServerTest {

    @Test
    @Timeout(120)
    void answersQueriesThenStopsAndRestartsOnTheSamePort() throws Exception {
        Assumptions.assumeTrue(PostgresServer.available(), "PostgreSQL is not installed");
        int port;
        try (PostgresServer server = PostgresServer.start()) {
            port = server.port();
            assertThat(server.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + port + "/mesh");
            assertThat(server.user()).isEqualTo("mesh");
            assertThat(server.password()).isEmpty();
            assertThat(selectOne(port)).isEqualTo("1");

            server.stop();
            assertRefused(port);

            server.restart();
            assertThat(server.port()).isEqualTo(port);
            assertThat(selectOne(port)).isEqualTo("1");
        }
        assertRefused(port);
    }

    /** What {@code select 1} prints through psql, unaligned and without headers. */
    private static String selectOne(int port) throws IOException, InterruptedException {
        String psql = PostgresTools.find().orElseThrow().program("psql").toString();
        Process process = new ProcessBuilder(psql, "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", "mesh",
                "-d", "mesh", "-A", "-t", "-c", "select 1").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("psql ends").isTrue();
        assertThat(process.exitValue()).as("psql's exit status; it said: " + output).isZero();
        return output.strip();
    }

    private static void assertRefused(int port) {
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }
}
