package io.micromesh.engines.http;

import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.http1.Http1Client;
import java.time.Duration;

/**
 * The one way micromesh builds an HTTP/1.1 client to an OpenAI-compatible server (a model's
 * replicas, a gateway a batch job sends to, the gateway {@code mesh bench} loads): Helidon's
 * blocking client, whose I/O runs on the calling virtual thread, with its own pool of keep-alive
 * connections, no proxy, no redirects, no {@code Expect: 100-continue}, and Nagle off (requests and
 * answers are small and latency-bound). It is Helidon's HTTP/1.1 client itself rather than the
 * general {@code WebClient} in front of it, which looks up a client per endpoint in a cache at every
 * request (2-3% of a batch job's CPU in a profile) to choose a protocol these servers do not offer.
 */
public final class WebClients {

    private WebClients() {
    }

    /**
     * A client keeping up to {@code connections} idle connections.
     *
     * @param connect longest wait for a TCP connection
     * @param read    longest silence of the server on a connection
     */
    public static Http1Client pooled(Duration connect, Duration read, int connections) {
        return Http1Client.builder()
                .socketOptions(options -> options.connectTimeout(connect).readTimeout(read).tcpNoDelay(true))
                .shareConnectionCache(false)
                .connectionCacheSize(Math.max(1, connections))
                .followRedirects(false)
                .proxy(Proxy.noProxy())
                .sendExpectContinue(false)
                .build();
    }
}
