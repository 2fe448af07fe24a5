import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.api.WebClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Throughput of the HTTP clients the openai backend could use, 16 virtual threads posting a chat
 * body to an instant backend: the JDK HttpClient (default executor, and a direct executor) and
 * Helidon's blocking WebClient. Three rounds; the last is the warm one. Run by client-throughput.sh.
 */
public class ClientThroughput {

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0]);
        int seconds = Integer.parseInt(args[1]);
        byte[] body = "{\"model\":\"bench\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}".getBytes();
        for (int round = 1; round <= 3; round++) {
            for (String client : new String[] {"jdk-default-executor", "jdk-direct-executor", "helidon-webclient"}) {
                Callable<Integer> call = client(client, url, body);
                AtomicLong done = new AtomicLong();
                long end = System.nanoTime() + seconds * 1_000_000_000L;
                try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int i = 0; i < 16; i++) {
                        threads.submit(() -> {
                            while (System.nanoTime() < end) {
                                call.call();
                                done.incrementAndGet();
                            }
                            return null;
                        });
                    }
                }
                System.out.printf("round %d  %-22s %8.0f requests/s%n", round, client, done.get() / (double) seconds);
            }
        }
    }

    private static Callable<Integer> client(String name, URI url, byte[] body) {
        if (name.equals("helidon-webclient")) {
            WebClient web = WebClient.builder().proxy(Proxy.noProxy()).build();
            return () -> {
                try (HttpClientResponse r = web.post().uri(url).header(HeaderNames.CONTENT_TYPE, "application/json").submit(body)) {
                    r.inputStream().readAllBytes();
                    return r.status().code();
                }
            };
        }
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1);
        if (name.equals("jdk-direct-executor")) {
            builder.executor(Runnable::run);
        }
        HttpClient jdk = builder.build();
        HttpRequest request = HttpRequest.newBuilder(url).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return () -> jdk.send(request, HttpResponse.BodyHandlers.ofByteArray()).statusCode();
    }
}
