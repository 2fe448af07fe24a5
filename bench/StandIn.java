import io.micromesh.testkit.StandInServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs the test kit's OpenAI stand-in on an ephemeral loopback port for benchmarks: a fixed delay
 * per generation request and at most CAPACITY served at once (the others wait inside it, so its
 * latency rises past that concurrency, like a server past its batch size). Prints "port N", then
 * serves until killed; with COUNTS_FILE, writes on exit (SIGTERM) how many requests it received
 * per x-mesh-item-id ("ID COUNT" lines).
 * Usage: StandIn DELAY_MS CAPACITY [COUNTS_FILE]
 */
public class StandIn {
    public static void main(String[] args) throws Exception {
        StandInServer server = StandInServer.start("stand-in").delay(Duration.ofMillis(Long.parseLong(args[0])))
                .capacity(Integer.parseInt(args[1])).reply("a short answer from the stand-in");
        if (args.length > 2) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                Map<String, Integer> counts = new TreeMap<>();
                server.recorded().forEach(r -> counts.merge(r.headers().getOrDefault("x-mesh-item-id", "?"), 1, Integer::sum));
                StringBuilder text = new StringBuilder();
                counts.forEach((id, n) -> text.append(id).append(' ').append(n).append('\n'));
                try {
                    Files.writeString(Path.of(args[2]), text);
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }));
        }
        System.out.println("port " + server.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}
