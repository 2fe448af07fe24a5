import io.micromesh.testkit.StandInServer;
import java.time.Duration;

/**
 * Runs the test kit's OpenAI stand-in on an ephemeral loopback port for benchmarks: a fixed delay
 * per generation request and at most CAPACITY served at once (the others wait inside it, so its
 * latency rises past that concurrency, like a server past its batch size). Prints "port N", then
 * serves until killed.
 * Usage: StandIn DELAY_MS CAPACITY
 */
public class StandIn {
    public static void main(String[] args) throws Exception {
        StandInServer server = StandInServer.start("stand-in").delay(Duration.ofMillis(Long.parseLong(args[0])))
                .capacity(Integer.parseInt(args[1])).reply("a short answer from the stand-in");
        System.out.println("port " + server.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}
