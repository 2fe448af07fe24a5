import io.micromesh.testkit.StandInServer;
import io.micromesh.testkit.StandInServer.Mode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs the test kit's stand-ins for the soak (bench/soak.sh): one that answers well (20 ms, 16 at a
 * time) and one per fault: garbage, a crash with a traceback, a hang, a trickle, a reset, a stream cut
 * halfway, a stream ended by closing the connection. Prints "NAME PORT" per stand-in, then "ready",
 * and serves until killed.
 * Usage: FaultStandIns
 */
public class FaultStandIns {
    public static void main(String[] args) throws Exception {
        Map<String, StandInServer> servers = new LinkedHashMap<>();
        servers.put("good", StandInServer.start("good").delay(Duration.ofMillis(20)).capacity(16)
                .reply("a short answer from the stand-in"));
        servers.put("garbage", StandInServer.start("garbage").mode(Mode.GARBAGE));
        servers.put("crashing", StandInServer.start("crashing").mode(Mode.TRACEBACK_500));
        servers.put("hang", StandInServer.start("hang").mode(Mode.HANG));
        servers.put("trickle", StandInServer.start("trickle").mode(Mode.TRICKLE).chunkInterval(Duration.ofMillis(50)));
        servers.put("reset", StandInServer.start("reset").mode(Mode.RESET));
        servers.put("cut", StandInServer.start("cut").mode(Mode.CUT_STREAM).chunkInterval(Duration.ofMillis(10)));
        servers.put("closing", StandInServer.start("closing").closeDelimitedStreams(true));
        servers.forEach((name, server) -> System.out.println(name + " " + server.port()));
        System.out.println("ready");
        System.out.flush();
        Thread.currentThread().join();
    }
}
