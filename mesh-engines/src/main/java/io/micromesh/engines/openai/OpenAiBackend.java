package io.micromesh.engines.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.micromesh.api.Json;
import io.micromesh.api.Quote;
import io.micromesh.api.JsonBody;
import io.micromesh.api.MeshRequest;
import io.micromesh.api.MultipartForm;
import io.micromesh.api.Operation;
import io.micromesh.api.SseReader;
import io.micromesh.core.config.ModelSpec;
import io.micromesh.core.dispatch.Admission;
import io.micromesh.core.dispatch.GateSettings;
import io.micromesh.core.dispatch.ReplicaGate;
import io.micromesh.core.spi.Backend;
import io.micromesh.core.MeshException;
import io.micromesh.core.MeshException.Failure;
import io.micromesh.core.spi.BackendHealth;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ChunkSink;
import io.micromesh.core.spi.GateGauges;
import io.micromesh.core.spi.PcmAudio;
import io.micromesh.core.spi.SpeechBackend;
import io.micromesh.core.spi.Transcript;
import io.micromesh.core.spi.Usage;
import io.micromesh.engines.audio.AudioDecoder;
import io.micromesh.engines.http.CallDeadline;
import io.micromesh.engines.http.UpstreamBody;
import io.micromesh.engines.http.WebClients;
import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * A model served by one or more OpenAI-compatible servers (vLLM, Ollama, llama-server, TGI, a
 * micromesh engine worker). One HTTP/1.1 client per model with pooled keep-alive connections;
 * replicas balanced by least outstanding requests; a retriable failure is retried once on another
 * replica; replicas that keep failing are ejected and probed back in (see {@link Replica}).
 * Speech goes to the servers' {@code /audio/transcriptions} (faster-whisper servers, whisper.cpp's
 * server, OpenAI) as a 16 kHz mono WAV, asking for {@code verbose_json} with segment and word
 * times, with the same retry and ejection. Thread-safe.
 *
 * <p>The client is Helidon's blocking WebClient rather than the JDK's {@code HttpClient}: it does
 * its I/O on the calling virtual thread, where the JDK client hands each exchange to a selector
 * thread and an executor and back. Measured warm against an instant backend on the 2-core
 * reference machine, 16 virtual threads: JDK client 10,800 requests/s (17,400 with a direct
 * executor), WebClient 23,300 (bench/client-throughput.sh, docs/benchmarks.md).
 */
public final class OpenAiBackend implements Backend, SpeechBackend {

    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final io.helidon.http.HeaderName REQUEST_ID = HeaderNames.create("x-request-id");
    private static final io.helidon.http.HeaderName TRACEPARENT = HeaderNames.create("traceparent");
    /** The longest answer taken from an upstream, a stream's included: far above any real one, far below the heap. */
    private static final long MAX_ANSWER_BYTES = 64L * 1024 * 1024;
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);
    private static final float TRANSCRIPTION_RATE = 16_000f;

    private final ModelSpec.OpenAi spec;
    private final Http1Client http;
    private final ReplicaSet replicas;
    private final Optional<String> authorization;

    private OpenAiBackend(ModelSpec.OpenAi spec, GateSettings gates, Http1Client http, Clock clock, Executor probes) {
        this.spec = spec;
        this.http = http;
        this.authorization = spec.upstreamApiKey().map(key -> "Bearer " + key);
        List<Replica> list = spec.endpoints().stream()
                .map(url -> new Replica(url, new ReplicaGate(spec.id() + "@" + url, gates, System::nanoTime),
                        spec.ejectAfterFailures(), Duration.ofMillis(spec.ejectForMs())))
                .toList();
        this.replicas = new ReplicaSet(spec.id(), list, spec.affinity(), clock, probes, this::probe);
    }

    /**
     * A backend for an {@code engine: openai} model.
     *
     * @param clock  the time source for ejection back-offs
     * @param probes where health probes of ejected replicas run
     */
    public static OpenAiBackend create(ModelSpec.OpenAi spec, Clock clock, Executor probes) {
        return create(spec, GateSettings.fixed(spec.maxInFlight()), clock, probes);
    }

    /**
     * A backend for an {@code engine: openai} model whose replicas admit requests with {@code gates}.
     *
     * @param clock  the time source for ejection back-offs
     * @param probes where health probes of ejected replicas run
     */
    public static OpenAiBackend create(ModelSpec.OpenAi spec, GateSettings gates, Clock clock, Executor probes) {
        Http1Client http = WebClients.pooled(Duration.ofMillis(spec.connectTimeoutMs()), Duration.ofMillis(spec.timeoutMs()),
                Math.min(spec.maxInFlight(), 1024));
        return new OpenAiBackend(spec, gates, http, clock, probes);
    }

    @Override
    public BackendReply call(MeshRequest request) {
        return call(request, Admission.DEFAULT);
    }

    @Override
    public BackendReply call(MeshRequest request, Admission admission) {
        byte[] body = upstreamBody(request, false);
        return withRetry(admission, replica -> exchange(replica, request.operation(), body, admission.correlation()),
                r -> r.tokens().completion());
    }

    @Override
    public Usage stream(MeshRequest request, ChunkSink sink) {
        return stream(request, sink, Admission.DEFAULT);
    }

    @Override
    public Usage stream(MeshRequest request, ChunkSink sink, Admission admission) {
        boolean clientWantsUsage = request.body().path("stream_options").path("include_usage").asBoolean(false);
        byte[] body = upstreamBody(request, true);
        return withRetry(admission, replica -> relay(replica, request.operation(), body, sink, clientWantsUsage,
                        admission.correlation()),
                Usage::completion);
    }

    @Override
    public float sampleRate() {
        return TRANSCRIPTION_RATE;
    }

    /** None here: the server that transcribes spends the energy, and reports none. */
    @Override
    public int coresPerTranscription() {
        return 0;
    }

    @Override
    public Transcript transcribe(PcmAudio audio, String language, String prompt) {
        byte[] wav = AudioDecoder.wav(audio);
        return withRetry(Admission.DEFAULT, replica -> {
            MultipartForm form = new MultipartForm().file("file", "audio.wav", "audio/wav", wav)
                    .field("model", spec.servedName()).field("language", language).field("prompt", prompt)
                    .field("response_format", "verbose_json").field("timestamp_granularities[]", "segment")
                    .field("timestamp_granularities[]", "word");
            return transcript(replica, form, audio.seconds());
        }, t -> 0);
    }

    private Transcript transcript(Replica replica, MultipartForm form, double seconds) {
        Http1ClientRequest request = http.post().uri(replica.transcriptionsUri())
                .header(HeaderNames.CONTENT_TYPE, form.contentType())
                .header(HeaderNames.ACCEPT, "application/json");
        authorization.ifPresent(value -> request.header(HeaderNames.AUTHORIZATION, value));
        byte[] answer = answer(replica, () -> request.submit(form.bytes()));
        ObjectNode reply = parseObject(replica, answer);
        if (!reply.path("text").isTextual()) {
            throw failure(Failure.BAD_RESPONSE, "answered a transcription without 'text'", replica, null, null);
        }
        return transcriptOf(reply, seconds);
    }

    /**
     * OpenAI's verbose_json as a transcript: each word goes to the last segment that starts at or
     * before it (servers round times, so a word may start a little after its segment ends); without
     * segments, the text is one segment.
     */
    static Transcript transcriptOf(ObjectNode reply, double seconds) {
        List<JsonNode> rawSegments = new ArrayList<>();
        reply.path("segments").forEach(rawSegments::add);
        List<List<Transcript.Word>> wordsBySegment = new ArrayList<>();
        rawSegments.forEach(s -> wordsBySegment.add(new ArrayList<>()));
        List<Transcript.Word> allWords = new ArrayList<>();
        for (JsonNode w : reply.path("words")) {
            Transcript.Word word = new Transcript.Word(w.path("word").asText().strip(), w.path("start").asDouble(),
                    w.path("end").asDouble(), w.path("probability").asDouble(1.0));
            allWords.add(word);
            int owner = 0;
            for (int i = 0; i < rawSegments.size(); i++) {
                if (rawSegments.get(i).path("start").asDouble() <= word.start()) {
                    owner = i;
                }
            }
            if (!rawSegments.isEmpty()) {
                wordsBySegment.get(owner).add(word);
            }
        }
        List<Transcript.Segment> segments = new ArrayList<>();
        for (int i = 0; i < rawSegments.size(); i++) {
            JsonNode s = rawSegments.get(i);
            segments.add(new Transcript.Segment(s.path("start").asDouble(), s.path("end").asDouble(),
                    s.path("text").asText().strip(), List.copyOf(wordsBySegment.get(i))));
        }
        String text = reply.path("text").asText().strip();
        if (segments.isEmpty() && !text.isEmpty()) {
            segments.add(new Transcript.Segment(0, seconds, text, List.copyOf(allWords)));
        }
        return new Transcript(text, List.copyOf(segments), seconds);
    }

    @Override
    public List<GateGauges> gates() {
        return replicas.replicas().stream().<GateGauges>map(Replica::gate).toList();
    }

    @Override
    public BackendHealth health() {
        long ejected = replicas.replicas().stream().filter(r -> !r.admitted()).count();
        int total = replicas.replicas().size();
        if (ejected == 0) {
            return BackendHealth.ready(total + " of " + total + " replicas admitted");
        }
        String detail = ejected + " of " + total + " replicas ejected after repeated failures";
        return new BackendHealth(ejected == total ? BackendHealth.State.DOWN : BackendHealth.State.DEGRADED, detail);
    }

    @Override
    public void close() {
        http.closeResource();
    }

    /**
     * The client's body with the upstream's model name; streams always ask for usage, to account for
     * them. Written field by field from the client's tree, with those fields replaced, rather than
     * copied and changed: the tree stays the client's, and no copy is made.
     */
    private byte[] upstreamBody(MeshRequest request, boolean stream) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = Json.mapper().getFactory().createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, JsonNode> field : request.body().properties()) {
                String name = field.getKey();
                if (name.equals("model") || stream && (name.equals("stream") || name.equals("stream_options"))) {
                    continue;
                }
                g.writeFieldName(name);
                Json.mapper().writeTree(g, field.getValue());
            }
            g.writeStringField("model", spec.servedName());
            if (stream) {
                g.writeBooleanField("stream", true);
                if (request.operation() != Operation.RESPONSES) {  // a Responses stream always ends with its usage
                    g.writeObjectFieldStart("stream_options");
                    g.writeBooleanField("include_usage", true);
                    g.writeEndObject();
                }
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("a JSON tree always serializes", e);
        }
        return out.toByteArray();
    }

    private interface Attempt<T> {
        T run(Replica replica);
    }

    /**
     * Runs an attempt on the best replica and, when it fails retriably, once more on another.
     * Hand-written rather than a retry library's: the second attempt must go to a different replica,
     * chosen at that moment, and only one extra attempt is ever made.
     */
    private <T> T withRetry(Admission admission, Attempt<T> attempt, java.util.function.ToLongFunction<T> generated) {
        Set<Replica> tried = new HashSet<>(2);
        MeshException last = null;
        for (int round = 0; round < 2; round++) {
            ReplicaSet.Place place;
            long waitStart = System.nanoTime();
            try {
                place = replicas.acquire(tried, admission);
                // the wait for a place, on the caller's span (the attempt's, when traced)
                io.opentelemetry.api.trace.Span.current().setAttribute("mesh.queue_wait_ms",
                        (System.nanoTime() - waitStart) / 1e6).setAttribute("mesh.replica_round", round);
            } catch (MeshException none) {
                if (none.failure() == Failure.DEADLINE_EXCEEDED || last == null) {
                    throw none;
                }
                throw last;
            }
            Replica replica = place.replica();
            tried.add(replica);
            boolean overloaded = false;
            long tokens = 0;
            try {
                T result = attempt.run(replica);
                replica.succeeded();
                tokens = generated.applyAsLong(result);
                return result;
            } catch (MeshException e) {
                overloaded = e.failure() == Failure.OVERLOADED || e.failure() == Failure.TIMEOUT;
                if (countsAgainstReplica(e.failure())) {
                    replicas.failed(replica);
                }
                if (!e.retriable()) {
                    throw e;
                }
                last = e;
            } finally {
                place.permit().release(overloaded, tokens);
            }
        }
        throw last;
    }

    private static boolean countsAgainstReplica(Failure failure) {
        return switch (failure) {
            case REFUSED, TIMEOUT, UPSTREAM_ERROR, BROKEN_BEFORE_FIRST_CHUNK, BROKEN_STREAM, BAD_RESPONSE -> true;
            case OVERLOADED, REJECTED, UNAUTHORIZED, UNAVAILABLE, QUEUE_FULL, DEADLINE_EXCEEDED, INVALID_REQUEST, UNSUPPORTED,
                 MODEL_NOT_FOUND, NO_ADMISSIBLE_MODEL, FORBIDDEN, BUDGET_EXCEEDED, RATE_LIMITED, STORE_UNAVAILABLE -> false;
        };
    }

    private Http1ClientRequest request(Replica replica, Operation operation, boolean stream,
                                       Admission.Correlation correlation) {
        Http1ClientRequest request = http.post().uri(replica.uri(operation))
                .header(HeaderNames.CONTENT_TYPE, "application/json")
                .header(HeaderNames.ACCEPT, stream ? "text/event-stream" : "application/json");
        authorization.ifPresent(value -> request.header(HeaderNames.AUTHORIZATION, value));
        // the upstream's logs (and an engine worker's) carry the client's request id and trace
        if (correlation.requestId() != null) {
            request.header(REQUEST_ID, correlation.requestId());
        }
        if (correlation.traceparent() != null) {
            request.header(TRACEPARENT, correlation.traceparent());
        }
        return request;
    }

    /**
     * Sends a request and waits for its answer's headers within the call's deadline; the deadline
     * then watches the body's reads.
     */
    private HttpClientResponse send(Replica replica, Supplier<HttpClientResponse> sending, CallDeadline deadline) {
        try {
            return sending.get();
        } catch (RuntimeException e) {
            throw transportFailure(replica, e, false, deadline);
        } finally {
            deadline.disarm();
        }
    }

    /** Sends a request and reads its whole answer within the call's deadline; an error status is a failure. */
    private byte[] answer(Replica replica, Supplier<HttpClientResponse> sending) {
        try (CallDeadline deadline = CallDeadline.after(Duration.ofMillis(spec.deadlineMs()));
             HttpClientResponse response = send(replica, sending, deadline)) {
            int status = response.status().code();
            if (status / 100 != 2) {
                throw statusFailure(replica, status, readError(UpstreamBody.of(response, deadline, MAX_ERROR_BODY)));
            }
            try (UpstreamBody body = UpstreamBody.of(response, deadline, MAX_ANSWER_BYTES)) {
                return body.readAllBytes();
            } catch (IOException | RuntimeException e) {
                throw e instanceof MeshException known ? known : transportFailure(replica, e, true, deadline);
            }
        }
    }

    private BackendReply exchange(Replica replica, Operation operation, byte[] body, Admission.Correlation correlation) {
        byte[] answer = answer(replica, () -> request(replica, operation, false, correlation).submit(body));
        String list = switch (operation) {
            case EMBEDDINGS -> "data";
            case RESPONSES -> "output";
            default -> "choices";
        };
        Usage tokens;
        try {
            tokens = Usage.ofAnswer(answer, list);
        } catch (IllegalArgumentException e) {
            throw failure(Failure.BAD_RESPONSE, e.getMessage().startsWith("without") ? "answered " + e.getMessage()
                    : "answered something that is not a JSON object", replica, e.getMessage(), null);
        }
        if (tokens.estimated()) {
            // the server reported no usage: estimated from the bytes, four per token, and marked so
            tokens = Usage.estimate(body.length, operation == Operation.EMBEDDINGS ? 0 : answer.length / 4);
        }
        // passed on as bytes: the dispatcher rewrites the few fields it changes without building a tree
        return new BackendReply(JsonBody.of(answer), tokens, replica.base());
    }

    private Usage relay(Replica replica, Operation operation, byte[] body, ChunkSink sink,
                              boolean clientWantsUsage, Admission.Correlation correlation) {
        boolean forwarded = false;
        boolean done = false;
        Usage tokens = null;
        long contentChunks = 0;
        // closing the response before its end closes the connection: that is how the upstream
        // learns that the client went away (a ClientGoneException from the sink passes through)
        try (CallDeadline deadline = CallDeadline.after(Duration.ofMillis(spec.deadlineMs()));
             HttpClientResponse response = send(replica, () -> request(replica, operation, true, correlation).submit(body), deadline)) {
            if (response.status().code() / 100 != 2) {
                throw statusFailure(replica, response.status().code(),
                        readError(UpstreamBody.of(response, deadline, MAX_ERROR_BODY)));
            }
            try (SseReader events = new SseReader(UpstreamBody.of(response, deadline, MAX_ANSWER_BYTES))) {
                sink.servedBy(replica.base());
                Optional<String> data;
                while ((data = events.next()).isPresent()) {
                    if (data.get().equals("[DONE]")) {
                        done = true;
                        return tokens != null ? tokens : Usage.estimate(body.length, contentChunks);
                    }
                    ObjectNode chunk = parseChunk(replica, forwarded, data.get());
                    if (operation == Operation.RESPONSES) {
                        String type = chunk.path("type").asText();
                        if (type.equals("error")) {
                            throw broken(replica, forwarded, "sent an error mid-stream", chunk.toString());
                        }
                        if (chunk.path("response").path("usage").isObject()) {
                            tokens = Usage.of(chunk.path("response").path("usage"));
                        }
                        if (type.endsWith(".delta")) {
                            contentChunks++;
                        }
                        sink.send(chunk);
                        forwarded = true;
                        if (type.equals("response.completed") || type.equals("response.incomplete")
                                || type.equals("response.failed")) {
                            done = true;  // a Responses stream ends with its last event, without [DONE]
                            return tokens != null ? tokens : Usage.estimate(body.length, contentChunks);
                        }
                        continue;
                    }
                    if (chunk.has("error")) {
                        throw broken(replica, forwarded, "sent an error mid-stream", String.valueOf(chunk.get("error")));
                    }
                    if (!chunk.path("choices").isEmpty()) {
                        contentChunks++;
                    }
                    JsonNode usage = chunk.path("usage");
                    if (usage.isObject()) {
                        tokens = Usage.of(usage);
                        if (!clientWantsUsage && chunk.path("choices").isEmpty()) {
                            continue;  // we asked for it for accounting; the client did not
                        }
                    }
                    if (!clientWantsUsage) {
                        chunk.remove("usage");
                    }
                    sink.send(chunk);
                    forwarded = true;
                }
                throw broken(replica, forwarded, "closed the stream before [DONE]", null);
            } catch (IOException | UncheckedIOException | DataReader.InsufficientDataAvailableException e) {
                if (done) {
                    // the answer was whole; what failed was closing the connection after it
                    return tokens != null ? tokens : Usage.estimate(body.length, contentChunks);
                }
                MeshException failure = transportFailure(replica, e, true, deadline);
                if (failure.failure() != Failure.TIMEOUT) {
                    throw broken(replica, forwarded, "broke the stream", rootMessage(e));
                }
                // once chunks went out a timeout is a broken stream: a retry would send the client a second answer
                throw forwarded ? broken(replica, true, "stopped mid-stream: it " + failure.getMessage()
                        .substring(("model '" + spec.id() + "' ").length()), null) : failure;
            }
        }
    }

    /** A chunk of a stream; one that is not JSON breaks the stream (and cannot be retried once chunks went out). */
    private ObjectNode parseChunk(Replica replica, boolean forwarded, String data) {
        try {
            return parseObject(replica, data.getBytes(StandardCharsets.UTF_8));
        } catch (MeshException e) {
            throw forwarded ? broken(replica, true, "sent a chunk that is not a JSON object", e.detail().orElse(null)) : e;
        }
    }

    private MeshException broken(Replica replica, boolean forwarded, String what, String detail) {
        return failure(forwarded ? Failure.BROKEN_STREAM : Failure.BROKEN_BEFORE_FIRST_CHUNK, what, replica, detail, null);
    }

    /**
     * A failure of this model: the client reads that the model failed and how, the operator's log
     * also which replica and what it sent ({@link MeshException#detail()}); an internal address or an
     * upstream's own words (a traceback, a path) never reach the client.
     */
    private MeshException failure(Failure kind, String what, Replica replica, String detail, Throwable cause) {
        return MeshException.of(kind, "model '" + spec.id() + "' " + what, cause)
                .withDetail("replica " + replica.base() + (detail == null ? "" : ": " + detail));
    }

    /**
     * Classifies an I/O failure: no connection (refused), no answer in time (timeout: silence or the
     * call's deadline), or a broken one.
     */
    private MeshException transportFailure(Replica replica, Throwable e, boolean connected, CallDeadline deadline) {
        if (deadline.passed()) {
            return failure(Failure.TIMEOUT, "did not finish answering within " + spec.deadlineMs() + " ms (deadline-ms)",
                    replica, rootMessage(e), e);
        }
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException) {
                return failure(Failure.REFUSED, "is unreachable: a replica refused the connection", replica, rootMessage(e), e);
            }
            if (cause instanceof SocketTimeoutException timeout) {
                boolean connecting = !connected && String.valueOf(timeout.getMessage()).toLowerCase(Locale.ROOT).contains("connect");
                return connecting
                        ? failure(Failure.REFUSED, "is unreachable: a replica did not accept a connection within "
                                + spec.connectTimeoutMs() + " ms (connect-timeout-ms)", replica, null, e)
                        : failure(Failure.TIMEOUT, "was silent for " + spec.timeoutMs() + " ms (timeout-ms)", replica, null, e);
            }
        }
        if (e instanceof UpstreamBody.TooLarge) {
            return failure(Failure.BAD_RESPONSE, "answered more than the gateway accepts", replica, e.getMessage(), e);
        }
        if (e instanceof IllegalStateException || e instanceof IllegalArgumentException) {
            // how Helidon's client reports a status line or a header it cannot parse
            return failure(Failure.BAD_RESPONSE, "answered something that is not HTTP", replica, rootMessage(e), e);
        }
        if (e instanceof IOException || e instanceof UncheckedIOException
                || e instanceof DataReader.InsufficientDataAvailableException) {
            return failure(Failure.REFUSED, connected
                    ? "broke the connection while answering" : "failed before answering", replica, rootMessage(e), e);
        }
        throw e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    private MeshException statusFailure(Replica replica, int status, String body) {
        return MeshException.upstream(Failure.ofHttpStatus(status), "model '" + spec.id() + "' answered HTTP " + status,
                status, body).withDetail("replica " + replica.base() + " answered HTTP " + status + ": " + Quote.clip(body));
    }

    private ObjectNode parseObject(Replica replica, byte[] bytes) {
        try {
            JsonNode node = Json.mapper().readTree(bytes);
            if (node != null && node.isObject()) {
                return (ObjectNode) node;
            }
        } catch (IOException e) {
            throw failure(Failure.BAD_RESPONSE, "answered something that is not a JSON object", replica,
                    Quote.clip(new String(bytes, StandardCharsets.UTF_8)), e);
        }
        throw failure(Failure.BAD_RESPONSE, "answered something that is not a JSON object", replica,
                Quote.clip(new String(bytes, StandardCharsets.UTF_8)), null);
    }

    private static String readError(UpstreamBody body) {
        try (body) {
            return new String(body.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException | DataReader.InsufficientDataAvailableException e) {
            return "";
        }
    }

    /** A replica is healthy again when it lists its models. */
    private boolean probe(Replica replica) {
        Http1ClientRequest request = http.get().uri(replica.probeUri()).readTimeout(PROBE_TIMEOUT);
        authorization.ifPresent(value -> request.header(HeaderNames.AUTHORIZATION, value));
        try (HttpClientResponse response = request.request()) {
            return response.status().code() / 100 == 2;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
