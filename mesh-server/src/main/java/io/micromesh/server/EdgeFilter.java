package io.micromesh.server;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.micromesh.api.ApiError;
import io.micromesh.api.ApiException;
import io.micromesh.core.MeshException;
import io.micromesh.core.spi.ClientGoneException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * What every request goes through at the edge: a request id (the caller's, or a new one) echoed in
 * {@code x-request-id}; refusal while draining; the API key on {@code /v1}; errors turned into
 * OpenAI-shaped bodies; one access-log line and the request metrics once it is answered.
 */
final class EdgeFilter implements Filter {

    private static final System.Logger ACCESS = System.getLogger("io.micromesh.access");
    private static final System.Logger LOG = System.getLogger(EdgeFilter.class.getName());
    private static final Pattern CALLER_ID = Pattern.compile("[A-Za-z0-9._:/+=-]{1,128}");

    private final Authenticator auth;
    private final boolean accessLog;
    private final Drain drain;
    private final GatewayMetrics metrics;

    EdgeFilter(Authenticator auth, boolean accessLog, Drain drain, GatewayMetrics metrics) {
        this.auth = auth;
        this.accessLog = accessLog;
        this.drain = drain;
        this.metrics = metrics;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        // the connection's time limits on the client pause while the gateway answers
        Optional<ConnectionWatch> watch = ConnectionWatch.current();
        watch.ifPresent(ConnectionWatch::requestRouted);
        try {
            answer(chain, req, res);
        } finally {
            watch.ifPresent(ConnectionWatch::requestDone);
        }
    }

    private void answer(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        long start = System.nanoTime();
        Exchange exchange = new Exchange(requestId(req), start);
        req.context().register(exchange);
        res.header(Responses.REQUEST_ID, exchange.id());
        String path = req.path().path();
        if (path == null || !path.startsWith("/")) {
            // an authority (CONNECT host:port) or an asterisk (OPTIONS *): this gateway is no proxy
            res.header(HeaderNames.CONNECTION, "close");
            error(req, res, ApiException.invalidRequest(null, "The request target must be a path such as /v1/models;"
                    + " this gateway is not a proxy."));
            finish(req, res, exchange, start);
            return;
        }
        boolean api = path.startsWith("/v1/");
        if (!drain.enter()) {
            res.header(HeaderNames.CONNECTION, "close");
            error(req, res, new ApiException(503, new ApiError("The gateway is shutting down; retry on another instance.",
                    "server_error", null, "draining"), Map.of("Retry-After", "1")));
            finish(req, res, exchange, start);
            return;
        }
        try {
            if (api) {
                exchange.caller(auth.caller(req));
            } else if (path.startsWith("/admin/")) {
                auth.admin(req);
                exchange.caller(Authenticator.Principal.MASTER);
            }
            chain.proceed();
        } catch (ApiException e) {
            error(req, res, e);
        } catch (MeshException e) {
            error(req, res, Failures.toApi(e));
        } catch (ClientGoneException e) {
            // nobody to answer: the access log says 499, and the connection ends below
            exchange.markClientGone();
            throw new CloseConnectionException("the client went away", e);
        } catch (CloseConnectionException e) {
            throw e;  // a handler ends the connection (its client is gone): not a failure
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "request " + exchange.id() + " failed with a bug", e);
            error(req, res, new ApiException(500, new ApiError("Internal error (a bug in micromesh, request " + exchange.id()
                    + "); the log has the details.", "server_error", null, "internal_error")));
        } finally {
            drain.exit();
            finish(req, res, exchange, start);
        }
        closeIfBodyUnread(req);
    }

    private static void error(RoutingRequest req, RoutingResponse res, ApiException e) {
        Responses.error(req, res, e);
    }

    private static boolean bodyUnread(RoutingRequest req) {
        return req.content().hasEntity() && !req.content().consumed();
    }

    /**
     * Closes the connection after an answer the client asked to be the last ({@code Connection:
     * close}), and after one given without reading the whole request body (an
     * unknown path, a body over the limit, a refused key, a bad form). The server would otherwise
     * read the rest of the body as further requests — a request hidden in a body would pass any
     * front proxy's filters — or drain gigabytes it already refused.
     */
    private static void closeIfBodyUnread(RoutingRequest req) {
        if (bodyUnread(req)) {
            throw new CloseConnectionException("the request body was not read; closing the connection after the answer");
        }
        // the server does not close by itself after honouring a client's Connection: close
        if (req.headers().containsToken(io.helidon.http.HeaderValues.CONNECTION_CLOSE)) {
            throw new CloseConnectionException("the client asked to close the connection");
        }
    }

    private void finish(RoutingRequest req, RoutingResponse res, Exchange exchange, long start) {
        long nanos = System.nanoTime() - start;
        // 499, as nginx logs it: the client closed the connection before the answer was complete
        int status = exchange.clientGone() ? 499 : res.status().code();
        if (exchange.inference()) {
            metrics.answered(exchange.model(), status, nanos);
        }
        if (accessLog && ACCESS.isLoggable(System.Logger.Level.INFO)) {
            ACCESS.log(System.Logger.Level.INFO, exchange.id() + " " + req.prologue().method().text() + " "
                    + req.path().path() + " model=" + (exchange.inference() ? exchange.model() : "-") + " status=" + status
                    + " latency_ms=" + millis(nanos)
                    + " prompt_tokens=" + exchange.tokens().prompt()
                    + " completion_tokens=" + exchange.tokens().completion()
                    + (exchange.traceId() == null ? "" : " trace_id=" + exchange.traceId()));
        }
    }

    /** Milliseconds with two decimals, without {@code String.format}: this runs once per request. */
    static String millis(long nanos) {
        long hundredths = Math.round(nanos / 10_000.0);
        long fraction = hundredths % 100;
        return hundredths / 100 + (fraction < 10 ? ".0" : ".") + fraction;
    }

    private static String requestId(RoutingRequest req) {
        return req.headers().first(Responses.REQUEST_ID)
                .filter(id -> CALLER_ID.matcher(id).matches())
                .orElseGet(() -> "req_" + Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE));
    }
}
