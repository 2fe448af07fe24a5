package io.micromesh.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible stand-in for a model server, for tests: it answers chat completions,
 * completions, embeddings and {@code GET /v1/models}, and it can fail the way real servers fail —
 * slowly, by refusing connections, with a 500, or by cutting a stream halfway. It counts
 * connections, requests, probes and streams its client abandoned.
 *
 * <p>Written on plain sockets rather than an HTTP server library because it must misbehave below
 * HTTP (close a socket mid-stream, stop listening and listen again on the same port), which HTTP
 * server libraries exist to prevent. Loopback only; one virtual thread per connection.
 */
public final class StandInServer implements AutoCloseable {

    /** How the stand-in answers generation requests. */
    public enum Mode {
        /** Answers promptly and correctly. */
        NORMAL,
        /** Answers 500 with an OpenAI-shaped error. */
        ERROR_500,
        /** Answers 429. */
        TOO_MANY_REQUESTS,
        /** Sends half of a stream's chunks, then closes the connection without ending the stream. */
        CUT_STREAM,
        /** Sends a stream's headers, then closes the connection before any chunk. */
        CUT_BEFORE_FIRST_CHUNK,
        /** Accepts the request and never answers (until closed). */
        HANG,
        /** Answers correctly, but one byte every {@link StandInServer#chunkInterval(Duration)} (50 ms if unset), from the status line on. */
        TRICKLE,
        /** Answers 200 with a body that is not JSON: a Python traceback naming a file on the server. */
        GARBAGE,
        /** Answers 500 with a plain-text Python traceback naming a file on the server, as a crashed app server does. */
        TRACEBACK_500,
        /** Reads the request and closes the connection without a word. */
        RESET,
        /** Answers 200 announcing a whole answer's {@code Content-Length}, sends half of it and closes the connection. */
        CUT_ANSWER
    }

    /** What {@link Mode#GARBAGE} and {@link Mode#TRACEBACK_500} send; a client must never see it. */
    public static final String TRACEBACK = "Traceback (most recent call last):\n  File \"/srv/secret-app/server.py\", line 42,"
            + " in handle\nKeyError: 'messages'\n";

    private final String name;
    private final int port;
    private volatile ServerSocket listener;
    private volatile Thread acceptor;
    private volatile Mode mode = Mode.NORMAL;
    private volatile Duration delay = Duration.ZERO;
    private volatile Duration chunkInterval = Duration.ZERO;
    private volatile int failEvery;
    private volatile Duration retryAfter;
    private volatile boolean closeDelimited;
    private volatile Semaphore capacity;
    private volatile int streamChunks = 6;
    private volatile boolean reportsUsage = true;
    private volatile long cachedTokens;
    private volatile List<String> replies = List.of("Hello from the stand-in");
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicInteger generationRequests = new AtomicInteger();
    private final AtomicInteger probes = new AtomicInteger();
    private final AtomicInteger abandonedStreams = new AtomicInteger();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final List<Recorded> recorded = Collections.synchronizedList(new ArrayList<>());

    /** A request as the stand-in received it. */
    public record Recorded(String method, String path, Map<String, String> headers, JsonNode body) {
    }

    private StandInServer(String name, ServerSocket listener) {
        this.name = name;
        this.listener = listener;
        this.port = listener.getLocalPort();
        acceptOn(listener);
    }

    /** Starts a stand-in on an ephemeral loopback port. */
    public static StandInServer start(String name) {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return new StandInServer(name, socket);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on loopback", e);
        }
    }

    /** The base URL, ending in {@code /v1}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    public int port() {
        return port;
    }

    public StandInServer mode(Mode newMode) {
        this.mode = newMode;
        return this;
    }

    /** Waits this long before answering each generation request. */
    public StandInServer delay(Duration wait) {
        this.delay = wait;
        return this;
    }

    /** Waits this long between stream chunks. */
    public StandInServer chunkInterval(Duration wait) {
        this.chunkInterval = wait;
        return this;
    }

    /**
     * Sends streams as HTTP/1.1 allows a server without chunked encoding: no length, the events as
     * they come, and the end of the body marked by closing the connection after {@code [DONE]}.
     */
    public StandInServer closeDelimitedStreams(boolean enabled) {
        this.closeDelimited = enabled;
        return this;
    }

    /** Answers {@code TOO_MANY_REQUESTS} with this {@code Retry-After}, in whole seconds; null sends none. */
    public StandInServer retryAfter(Duration wait) {
        this.retryAfter = wait;
        return this;
    }

    /** Every {@code n}-th generation request (the n-th, 2n-th ...) is answered 500; 0 for none. */
    public StandInServer failEvery(int n) {
        this.failEvery = n;
        return this;
    }

    /**
     * Serves at most {@code requests} generation requests at once, like a server with that many
     * slots; the others wait their turn (their wait counts in their latency).
     */
    public StandInServer capacity(int requests) {
        this.capacity = new Semaphore(requests, true);
        return this;
    }

    /** Whether answers carry {@code usage} (a server that ignores {@code stream_options} reports none). */
    public StandInServer reportsUsage(boolean reports) {
        this.reportsUsage = reports;
        return this;
    }

    /** Reports this many of each prompt's tokens as served from a prompt cache ({@code prompt_tokens_details}). */
    public StandInServer cachedTokens(long tokens) {
        this.cachedTokens = tokens;
        return this;
    }

    /** Number of content chunks in a stream. */
    public StandInServer streamChunks(int count) {
        this.streamChunks = count;
        return this;
    }

    /** The assistant's answer text. */
    public StandInServer reply(String text) {
        return replies(text);
    }

    private volatile String toolName;
    private volatile String toolArguments;

    /**
     * Answers a chat request that offers tools (and whose last message is not a tool's result) with a
     * call of {@code name} with {@code arguments} (a JSON text), as a model that decides to use a tool;
     * streamed, the arguments come in two pieces. Other requests get the reply text.
     */
    public StandInServer callsTool(String name, String arguments) {
        this.toolName = name;
        this.toolArguments = arguments;
        return this;
    }

    private boolean callsToolFor(JsonNode request) {
        JsonNode messages = request.path("messages");
        return toolName != null && request.path("tools").isArray() && !request.path("tools").isEmpty()
                && !(messages.isArray() && !messages.isEmpty() && messages.get(messages.size() - 1).path("role").asText().equals("tool"));
    }

    /** Answer texts taken in turn, one per generation request (a model that disagrees with itself). */
    public StandInServer replies(String... texts) {
        this.replies = List.of(texts);
        this.answered.set(0);
        return this;
    }

    private String nextReply() {
        List<String> now = replies;
        return now.get(Math.floorMod(answered.getAndIncrement(), now.size()));
    }

    /**
     * Stops listening: new connections are refused once this returns. Open connections are closed.
     * Closing a server socket while a virtual thread is blocked in its {@code accept} takes effect
     * only when that thread leaves {@code accept}, so this waits for the accepting thread to end
     * before closing what it accepted; otherwise the port would still take connections for a moment.
     */
    public void refuseConnections() {
        try {
            listener.close();
            acceptor.join(Duration.ofSeconds(10));
        } catch (IOException ignored) {
            // closing a listener does not fail in a way that matters here
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeOpenSockets();
    }

    /** Listens again on the same port after {@link #refuseConnections()}. */
    public void acceptConnections() {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            listener = socket;
            acceptOn(socket);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen again on port " + port, e);
        }
    }

    /** Connections accepted since start. */
    public int connections() {
        return connections.get();
    }

    /** Connections open now. */
    public int openConnections() {
        return openConnections.get();
    }

    /** Chat, completion and embedding requests received. */
    public int generationRequests() {
        return generationRequests.get();
    }

    /** {@code GET /v1/models} requests received (health probes). */
    public int probes() {
        return probes.get();
    }

    /** Streams whose client closed the connection before the stream ended. */
    public int abandonedStreams() {
        return abandonedStreams.get();
    }

    /** Every generation request received, in order. */
    public List<Recorded> recorded() {
        synchronized (recorded) {
            return List.copyOf(recorded);
        }
    }

    @Override
    public void close() {
        refuseConnections();
    }

    private void acceptOn(ServerSocket socket) {
        acceptor = Thread.ofVirtual().name("stand-in-" + name + "-accept").start(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket client = socket.accept();
                    // answer as a real server does: without Nagle's delay, which with the client's
                    // delayed acknowledgements adds about 40 ms to a response written in two parts
                    client.setTcpNoDelay(true);
                    connections.incrementAndGet();
                    openConnections.incrementAndGet();
                    sockets.add(client);
                    Thread.ofVirtual().name("stand-in-" + name).start(() -> serve(client));
                } catch (IOException e) {
                    return;  // listener closed
                }
            }
        });
    }

    private void closeOpenSockets() {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    private void serve(Socket socket) {
        try (socket; InputStream in = new BufferedInputStream(socket.getInputStream());
             OutputStream out = socket.getOutputStream()) {
            while (true) {
                Request request = Request.read(in);
                if (request == null) {
                    return;
                }
                if (!respond(request, out)) {
                    return;
                }
            }
        } catch (IOException e) {
            // the peer went away or we cut the connection on purpose
        } finally {
            sockets.remove(socket);
            openConnections.decrementAndGet();
        }
    }

    /** Answers one request; false when the connection must close afterwards. */
    private boolean respond(Request request, OutputStream out) throws IOException {
        if (request.method.equals("GET") && request.path.equals("/v1/models")) {
            probes.incrementAndGet();
            ObjectNode list = Json.object().put("object", "list");
            list.putArray("data").addObject().put("id", name).put("object", "model").put("owned_by", "stand-in");
            writeJson(out, 200, list);
            return true;
        }
        JsonNode body = request.body.length == 0 ? Json.object()
                : request.headers.getOrDefault("content-type", "").startsWith("multipart/form-data") ? form(request)
                : Json.mapper().readTree(request.body);
        recorded.add(new Recorded(request.method, request.path, request.headers, body));
        int number = generationRequests.incrementAndGet();
        Semaphore slots = capacity;
        if (slots == null) {
            return generate(request, body, number, out);
        }
        slots.acquireUninterruptibly();
        try {
            return generate(request, body, number, out);
        } finally {
            slots.release();
        }
    }

    private boolean generate(Request request, JsonNode body, int number, OutputStream out) throws IOException {
        sleep(delay);
        int every = failEvery;
        Mode now = every > 0 && number % every == 0 ? Mode.ERROR_500 : mode;
        switch (now) {
            case HANG -> {
                sleep(Duration.ofHours(1));
                return false;
            }
            case RESET -> {
                return false;
            }
            case GARBAGE, TRACEBACK_500 -> {
                byte[] text = TRACEBACK.getBytes(StandardCharsets.UTF_8);
                int status = now == Mode.GARBAGE ? 200 : 500;
                out.write(("HTTP/1.1 " + status + (status == 200 ? " OK" : " Internal Server Error") + "\r\nContent-Type: "
                        + (status == 200 ? "application/json" : "text/plain") + "\r\nContent-Length: " + text.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(text);
                out.flush();
                return true;
            }
            case TRICKLE -> {
                Duration interval = chunkInterval.isZero() ? Duration.ofMillis(50) : chunkInterval;
                return answer(request, body, Mode.NORMAL, new TricklingOutputStream(out, interval));
            }
            case ERROR_500 -> {
                writeJson(out, 500, error("the stand-in failed on purpose", "server_error"));
                return true;
            }
            case CUT_ANSWER -> {
                byte[] whole = Json.bytes(answer(body, request.path.equals("/v1/chat/completions")));
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + whole.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(whole, 0, whole.length / 2);
                out.flush();
                return false;
            }
            case TOO_MANY_REQUESTS -> {
                Duration wait = retryAfter;
                writeJson(out, 429, error("the stand-in is busy on purpose", "rate_limit_exceeded"),
                        wait == null ? "" : "Retry-After: " + wait.toSeconds() + "\r\n");
                return true;
            }
            default -> {
                // answered below
            }
        }
        return answer(request, body, now, out);
    }

    private boolean answer(Request request, JsonNode body, Mode now, OutputStream out) throws IOException {
        boolean stream = body.path("stream").asBoolean(false);
        switch (request.path) {
            case "/v1/chat/completions", "/v1/completions" -> {
                boolean chat = request.path.equals("/v1/chat/completions");
                if (stream) {
                    return streamAnswer(out, body, chat, now);
                }
                writeJson(out, 200, answer(body, chat));
                return true;
            }
            case "/v1/embeddings" -> {
                writeJson(out, 200, embeddings(body));
                return true;
            }
            case "/v1/responses" -> {
                return responses(out, body, stream);
            }
            case "/v1/audio/transcriptions" -> {
                writeJson(out, 200, transcription());
                return true;
            }
            default -> {
                writeJson(out, 404, error("no route " + request.path, "not_found"));
                return true;
            }
        }
    }

    /** A verbose_json transcription of the next reply: one segment of a second, a word per quarter second. */
    private ObjectNode transcription() {
        String reply = nextReply();
        ObjectNode body = Json.object().put("task", "transcribe").put("language", "english").put("duration", 1.0)
                .put("text", reply);
        body.putArray("segments").addObject().put("id", 0).put("start", 0.0).put("end", 1.0).put("text", reply);
        ArrayNode words = body.putArray("words");
        String[] split = reply.split("\\s+");
        for (int i = 0; i < split.length; i++) {
            words.addObject().put("word", split[i]).put("start", i * 0.25).put("end", i * 0.25 + 0.2);
        }
        return body;
    }

    /**
     * A multipart form as JSON: text fields by name (a repeated name gives an array), files as
     * {@code {"filename", "content_type", "bytes"}}. Enough of RFC 7578 for the forms clients send.
     */
    private static ObjectNode form(Request request) {
        String type = request.headers.get("content-type");
        String boundary = "--" + type.substring(type.indexOf("boundary=") + "boundary=".length()).replace("\"", "");
        String raw = new String(request.body, StandardCharsets.ISO_8859_1);  // one char per byte: offsets stay byte offsets
        ObjectNode fields = Json.object();
        for (String part : raw.split(java.util.regex.Pattern.quote(boundary))) {
            int blank = part.indexOf("\r\n\r\n");
            if (blank < 0) {
                continue;
            }
            String head = part.substring(0, blank);
            String content = part.substring(blank + 4, Math.max(blank + 4, part.length() - 2));
            java.util.regex.Matcher name = java.util.regex.Pattern.compile("name=\"([^\"]*)\"").matcher(head);
            if (!name.find()) {
                continue;
            }
            java.util.regex.Matcher file = java.util.regex.Pattern.compile("filename=\"([^\"]*)\"").matcher(head);
            if (file.find()) {
                java.util.regex.Matcher ct = java.util.regex.Pattern.compile("(?i)content-type:\\s*(\\S+)").matcher(head);
                fields.putObject(name.group(1)).put("filename", file.group(1)).put("content_type", ct.find() ? ct.group(1) : null)
                        .put("bytes", content.length());
            } else {
                String value = new String(content.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
                JsonNode existing = fields.get(name.group(1));
                if (existing == null) {
                    fields.put(name.group(1), value);
                } else if (existing.isArray()) {
                    ((ArrayNode) existing).add(value);
                } else {
                    fields.putArray(name.group(1)).add(existing.asText()).add(value);
                }
            }
        }
        return fields;
    }

    private ObjectNode answer(JsonNode request, boolean chat) {
        String reply = nextReply();
        ObjectNode body = Json.object();
        body.put("id", (chat ? "chatcmpl-" : "cmpl-") + generationRequests.get());
        body.put("object", chat ? "chat.completion" : "text_completion");
        body.put("created", 1_767_225_600L);
        body.put("model", request.path("model").asText());
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat && callsToolFor(request)) {
            ObjectNode call = choice.putObject("message").put("role", "assistant").putNull("content").putArray("tool_calls")
                    .addObject().put("id", "call_" + generationRequests.get()).put("type", "function");
            call.putObject("function").put("name", toolName).put("arguments", toolArguments);
            choice.put("finish_reason", "tool_calls");
            if (reportsUsage) {
                usage(body.putObject("usage"), request, toolArguments);
            }
            return body;
        }
        if (chat) {
            choice.putObject("message").put("role", "assistant").put("content", reply);
        } else {
            choice.put("text", reply);
        }
        choice.put("finish_reason", "stop");
        if (reportsUsage) {
            usage(body.putObject("usage"), request, reply);
        }
        return body;
    }

    private void usage(ObjectNode usage, JsonNode request, String reply) {
        long prompt = words(request.path("messages").toString() + request.path("prompt").toString());
        long completion = words(reply);
        usage.put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
        if (cachedTokens > 0) {
            usage.putObject("prompt_tokens_details").put("cached_tokens", Math.min(cachedTokens, prompt));
        }
    }

    private static long words(String text) {
        String trimmed = text.strip();
        return trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
    }

    private boolean streamAnswer(OutputStream out, JsonNode request, boolean chat, Mode now) throws IOException {
        boolean raw = closeDelimited;
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                + (raw ? "Connection: close\r\n" : "Transfer-Encoding: chunked\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        if (now == Mode.CUT_BEFORE_FIRST_CHUNK) {
            return false;
        }
        int chunks = streamChunks;
        String reply = nextReply();
        List<String> pieces = split(reply, chunks);
        if (chat && callsToolFor(request)) {
            try {
                int half = toolArguments.length() / 2;
                String[] parts = {null, toolArguments.substring(0, half), toolArguments.substring(half)};
                for (int i = 0; i < parts.length; i++) {
                    ObjectNode chunk = Json.object().put("id", "chunk-" + generationRequests.get()).put("object", "chat.completion.chunk")
                            .put("created", 1_767_225_600L).put("model", request.path("model").asText());
                    ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
                    ObjectNode call = choice.putObject("delta").putArray("tool_calls").addObject().put("index", 0);
                    if (i == 0) {
                        call.put("id", "call_" + generationRequests.get()).put("type", "function").putObject("function")
                                .put("name", toolName).put("arguments", "");
                    } else {
                        call.putObject("function").put("arguments", parts[i]);
                    }
                    if (i == parts.length - 1) {
                        choice.put("finish_reason", "tool_calls");
                    } else {
                        choice.putNull("finish_reason");
                    }
                    writeEvent(out, Json.string(chunk), raw);
                }
                if (reportsUsage && request.path("stream_options").path("include_usage").asBoolean(false)) {
                    ObjectNode last = Json.object().put("id", "chunk-usage").put("object", "chat.completion.chunk")
                            .put("model", request.path("model").asText());
                    last.putArray("choices");
                    usage(last.putObject("usage"), request, toolArguments);
                    writeEvent(out, Json.string(last), raw);
                }
                writeEvent(out, "[DONE]", raw);
                if (raw) {
                    return false;
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return true;
            } catch (SocketException e) {
                abandonedStreams.incrementAndGet();
                throw e;
            }
        }
        try {
            for (int i = 0; i < pieces.size(); i++) {
                if (now == Mode.CUT_STREAM && i == pieces.size() / 2) {
                    return false;
                }
                ObjectNode chunk = Json.object();
                chunk.put("id", "chunk-" + generationRequests.get());
                chunk.put("object", chat ? "chat.completion.chunk" : "text_completion");
                chunk.put("created", 1_767_225_600L);
                chunk.put("model", request.path("model").asText());
                ObjectNode choice = chunk.putArray("choices").addObject();
                choice.put("index", 0);
                if (chat) {
                    choice.putObject("delta").put("content", pieces.get(i));
                } else {
                    choice.put("text", pieces.get(i));
                }
                choice.putNull("finish_reason");
                if (i == pieces.size() - 1) {
                    choice.put("finish_reason", "stop");
                }
                writeEvent(out, Json.string(chunk), raw);
                sleep(chunkInterval);
            }
            if (reportsUsage && request.path("stream_options").path("include_usage").asBoolean(false)) {
                ObjectNode last = Json.object().put("id", "chunk-usage").put("object",
                        chat ? "chat.completion.chunk" : "text_completion").put("model", request.path("model").asText());
                last.putArray("choices");
                usage(last.putObject("usage"), request, reply);
                writeEvent(out, Json.string(last), raw);
            }
            writeEvent(out, "[DONE]", raw);
            if (raw) {
                return false;  // the body ends when the connection closes
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return true;
        } catch (SocketException e) {
            abandonedStreams.incrementAndGet();
            throw e;
        }
    }

    /**
     * OpenAI's Responses API, as a server that has it natively: the next reply as one
     * {@code output_text}, usage in {@code input_tokens}/{@code output_tokens}; streamed as
     * {@code response.created}, a {@code response.output_text.delta} per piece, and
     * {@code response.completed} (named events, no {@code [DONE]}).
     */
    private boolean responses(OutputStream out, JsonNode request, boolean stream) throws IOException {
        String reply = nextReply();
        ObjectNode response = Json.object().put("id", "resp_upstream_" + generationRequests.get()).put("object", "response")
                .put("created_at", 1_767_225_600L).put("status", "completed").put("model", request.path("model").asText());
        if (request.hasNonNull("previous_response_id")) {
            response.put("previous_response_id", request.get("previous_response_id").asText());
        }
        ObjectNode message = response.putArray("output").addObject().put("type", "message").put("id", "msg_1")
                .put("status", "completed").put("role", "assistant");
        message.putArray("content").addObject().put("type", "output_text").put("text", reply).putArray("annotations");
        long input = words(request.path("input").toString() + request.path("instructions").asText(""));
        long output = words(reply);
        response.putObject("usage").put("input_tokens", input).put("output_tokens", output).put("total_tokens", input + output);
        if (!stream) {
            writeJson(out, 200, response);
            return true;
        }
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        int sequence = 0;
        ObjectNode created = response.deepCopy().put("status", "in_progress");
        created.remove("usage");
        created.putArray("output");
        writeNamed(out, "response.created", Json.object().put("type", "response.created").put("sequence_number", sequence++)
                .set("response", created));
        for (String piece : split(reply, streamChunks)) {
            writeNamed(out, "response.output_text.delta", Json.object().put("type", "response.output_text.delta")
                    .put("sequence_number", sequence++).put("item_id", "msg_1").put("output_index", 0).put("content_index", 0)
                    .put("delta", piece));
            sleep(chunkInterval);
        }
        writeNamed(out, "response.completed", Json.object().put("type", "response.completed").put("sequence_number", sequence)
                .set("response", response));
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return true;
    }

    private static void writeNamed(OutputStream out, String type, JsonNode data) throws IOException {
        byte[] event = ("event: " + type + "\ndata: " + Json.string(data) + "\n\n").getBytes(StandardCharsets.UTF_8);
        out.write((Integer.toHexString(event.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(event);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static List<String> split(String text, int chunks) {
        List<String> out = new ArrayList<>();
        int size = Math.max(1, (int) Math.ceil(text.length() / (double) chunks));
        for (int i = 0; i < text.length(); i += size) {
            out.add(text.substring(i, Math.min(text.length(), i + size)));
        }
        return out;
    }

    private static void writeEvent(OutputStream out, String data, boolean raw) throws IOException {
        byte[] event = ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
        if (raw) {
            out.write(event);
            out.flush();
            return;
        }
        out.write((Integer.toHexString(event.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(event);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private ObjectNode embeddings(JsonNode request) {
        JsonNode input = request.path("input");
        int count = input.isArray() ? input.size() : 1;
        ObjectNode body = Json.object().put("object", "list");
        ArrayNode data = body.putArray("data");
        for (int i = 0; i < count; i++) {
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            item.putArray("embedding").add(1.0).add(0.0).add(0.0);
        }
        body.put("model", request.path("model").asText());
        body.putObject("usage").put("prompt_tokens", count).put("total_tokens", count);
        return body;
    }

    private static ObjectNode error(String message, String code) {
        ObjectNode body = Json.object();
        body.putObject("error").put("message", message).put("type", "server_error").putNull("param").put("code", code);
        return body;
    }

    private static void writeJson(OutputStream out, int status, JsonNode body) throws IOException {
        writeJson(out, status, body, "");
    }

    private static void writeJson(OutputStream out, int status, JsonNode body, String extraHeaders) throws IOException {
        byte[] bytes = Json.bytes(body);
        String head = "HTTP/1.1 " + status + " " + (status == 200 ? "OK" : "Error") + "\r\n" + extraHeaders
                + "Content-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
    }

    private static void sleep(Duration wait) {
        if (wait.isZero()) {
            return;
        }
        try {
            Thread.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A parsed HTTP/1.1 request with a Content-Length body. */
    private record Request(String method, String path, Map<String, String> headers, byte[] body) {

        static Request read(InputStream in) throws IOException {
            String line = readLine(in);
            if (line == null || line.isEmpty()) {
                return null;
            }
            String[] parts = line.split(" ");
            Map<String, String> headers = new LinkedHashMap<>();
            String header;
            while ((header = readLine(in)) != null && !header.isEmpty()) {
                int colon = header.indexOf(':');
                headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            byte[] body = in.readNBytes(length);
            return new Request(parts[0], parts[1], headers, body);
        }

        private static String readLine(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1) {
                if (b == '\n') {
                    String s = line.toString(StandardCharsets.US_ASCII);
                    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
                }
                line.write(b);
            }
            return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
        }
    }

    /** Writes one byte at a time, flushed, with a pause before each: a peer on a very slow line. */
    private static final class TricklingOutputStream extends java.io.FilterOutputStream {
        private final Duration interval;

        TricklingOutputStream(OutputStream out, Duration interval) {
            super(out);
            this.interval = interval;
        }

        @Override
        public void write(int b) throws IOException {
            sleep(interval);
            out.write(b);
            out.flush();
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int i = 0; i < len; i++) {
                write(b[off + i]);
            }
        }
    }
}
