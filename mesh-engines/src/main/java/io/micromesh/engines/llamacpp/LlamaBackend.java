package io.micromesh.engines.llamacpp;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import io.micromesh.api.ChatRequest;
import io.micromesh.api.CompletionRequest;
import io.micromesh.api.EmbeddingRequest;
import io.micromesh.api.Json;
import io.micromesh.api.MeshRequest;
import io.micromesh.core.spi.Backend;
import io.micromesh.core.MeshException;
import io.micromesh.core.MeshException.Failure;
import io.micromesh.core.spi.BackendHealth;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ChunkSink;
import io.micromesh.core.spi.ClientGoneException;
import io.micromesh.core.spi.Usage;
import io.micromesh.engines.gguf.GgufFile;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A GGUF model run in this process by llama.cpp (through {@code de.kherud:llama}): chat and text
 * completions, streamed or whole, on {@code slots} parallel sequences with continuous batching.
 * This is what an engine worker ({@code mesh engine}) serves; {@code mesh serve} runs it in a child
 * process, never in its own, because llama.cpp's {@code close()} does not give its native memory
 * back and a native crash must not take the gateway down.
 *
 * <p>Every native call runs on a platform thread of a pool sized to the slots, never on a virtual
 * thread's carrier; a request beyond the slots waits for a thread. The binding reports neither
 * token counts nor why generation stopped, so they are derived: prompt tokens by tokenizing the
 * rendered prompt, completion tokens by counting the per-token results of the stream (a token
 * that ends inside a multi-byte character arrives merged with the next, so the count can be low:
 * a little for real text, much for a random model's bytes), and {@code length} when the count
 * reached the limit or a JSON answer under a grammar is unfinished, {@code stop} otherwise. With {@code ignore_eos}, no stop string and no
 * grammar, only the limit can end a generation, so it is exactly the limit.
 * Token log-probabilities are never asked of the binding: that aborts the process.
 * Thread-safe.
 */
public final class LlamaBackend implements Backend {

    /**
     * How to run a model.
     *
     * @param file    the GGUF file
     * @param modelId the name clients use
     * @param slots   parallel sequences
     * @param context context window of each sequence, in tokens
     * @param threads CPU threads for llama.cpp's compute
     * @param nativeLog let llama.cpp log to standard error (it logs every request; its Java log
     *                  callback does not work in this binding version, so it is that or nothing)
     */
    public record Options(Path file, String modelId, int slots, int context, int threads, boolean nativeLog) {
        public Options {
            if (slots < 1 || context < 16 || threads < 1) {
                throw new IllegalArgumentException("slots >= 1, context >= 16 and threads >= 1; got "
                        + slots + ", " + context + ", " + threads);
            }
        }
    }

    private final Options options;
    /** How the model expects tools and writes calls, from its chat template. */
    private final ToolFormat toolFormat;
    /** Single-byte tokens that are never UTF-8, kept out of grammar-constrained answers. */
    private final Set<Integer> nonUtf8;
    /** The model's vocabulary size: token ids from clients must be below it. */
    private final int vocabulary;
    private final LlamaModel model;
    private final ExecutorService slotThreads;
    private final EnergyLedger ledger;
    private final Clock clock;
    private final AtomicInteger busy = new AtomicInteger();
    private final AtomicLong cancelled = new AtomicLong();

    private LlamaBackend(Options options, ToolFormat toolFormat, Set<Integer> nonUtf8, int vocabulary, LlamaModel model,
                         EnergyLedger ledger, Clock clock) {
        this.options = options;
        this.toolFormat = toolFormat;
        this.nonUtf8 = nonUtf8;
        this.vocabulary = vocabulary;
        this.model = model;
        this.ledger = ledger;
        this.clock = clock;
        this.slotThreads = Executors.newFixedThreadPool(options.slots(),
                Thread.ofPlatform().name("llama-slot-", 0).daemon().factory());
    }

    /**
     * Loads a model. The file's header is checked first, so that a missing, truncated or foreign
     * file is refused with a clear message before native code sees it.
     *
     * @param ledger where the CPU time (and energy) of requests is attributed
     * @throws io.micromesh.engines.gguf.GgufException when the file is not a usable GGUF model
     */
    public static LlamaBackend load(Options options, EnergyLedger ledger, Clock clock) {
        GgufFile header = GgufFile.read(options.file());
        int vocabulary = header.metadata().get("tokenizer.ggml.tokens") instanceof java.util.List<?> tokens
                ? tokens.size() : Integer.MAX_VALUE;
        ModelParameters parameters = new ModelParameters()
                .setModel(options.file().toString())
                // llama.cpp divides its context among the slots: give each the whole window
                .setCtxSize(options.context() * options.slots())
                .setParallel(options.slots())
                .enableContBatching()
                .setThreads(options.threads())
                .setThreadsBatch(options.threads());
        if (!options.nativeLog()) {
            parameters.disableLog();
        }
        ToolFormat toolFormat = ToolFormat.of(header.metadata().get("tokenizer.chat_template") instanceof String template
                ? template : null);
        return new LlamaBackend(options, toolFormat, NonUtf8Tokens.of(header), vocabulary, new LlamaModel(parameters), ledger,
                clock);
    }

    /** A ledger over this process's CPU time, and the machine's RAPL counters when readable. */
    public static EnergyLedger processLedger() {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        EnergyLedger.Meter cpu = () -> os.getProcessCpuTime() / 1e9;
        return new EnergyLedger(cpu, RaplCounters.open(RaplCounters.POWERCAP).orElse(null), Clock.systemUTC());
    }

    @Override
    public BackendReply call(MeshRequest request) {
        busy.incrementAndGet();
        Future<Generated> work = slotThreads.submit(() -> generate(request, piece -> { }, new AtomicBoolean()));
        Generated done;
        try {
            done = work.get();
        } catch (InterruptedException e) {
            work.cancel(true);
            Thread.currentThread().interrupt();
            throw MeshException.of(Failure.UNAVAILABLE, "interrupted while waiting for '" + options.modelId() + "'", e);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
        ObjectNode body = envelope(request, false);
        ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
        if (request instanceof ChatRequest) {
            ObjectNode message = choice.putObject("message").put("role", "assistant");
            if (done.calls().isPresent()) {
                message.putNull("content");
                ArrayNode calls = message.putArray("tool_calls");
                done.calls().get().forEach(call -> calls.addObject().put("id", callId()).put("type", "function")
                        .putObject("function").put("name", call.name()).put("arguments", call.arguments()));
            } else {
                message.put("content", done.text());
            }
            message.putNull("refusal");
        } else {
            String echo = request.body().path("echo").asBoolean(false) ? done.prompt() : "";
            choice.put("text", echo + done.text());
        }
        choice.putNull("logprobs").put("finish_reason", done.finishReason());
        done.usage().writeTo(body.putObject("usage"));
        return new BackendReply(body, done.usage());
    }

    @Override
    public Usage stream(MeshRequest request, ChunkSink sink) {
        BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        AtomicBoolean cancelled = new AtomicBoolean();
        busy.incrementAndGet();
        slotThreads.execute(() -> {
            try {
                events.add(new Event.Done(generate(request, piece -> events.add(new Event.Piece(piece)), cancelled)));
            } catch (Throwable failure) {
                events.add(new Event.Failed(failure));
            }
        });
        boolean chat = request instanceof ChatRequest;
        String id = chat ? "chatcmpl-" + UUID.randomUUID() : "cmpl-" + UUID.randomUUID();
        long created = clock.instant().getEpochSecond();
        ToolDeltas toolDeltas = request instanceof ChatRequest asked && offersTools(asked) ? new ToolDeltas() : null;
        try {
            boolean first = true;
            while (true) {
                Event event = events.take();
                switch (event) {
                    case Event.Piece piece -> {
                        if (toolDeltas == null) {
                            sink.send(chunk(request, id, created, piece.text(), first, null));
                            first = false;
                        } else {
                            for (ObjectNode delta : toolDeltas.add(piece.text(), first)) {
                                sink.send(deltaChunk(request, id, created, delta, null));
                                first = false;
                            }
                        }
                    }
                    case Event.Done done -> {
                        if (toolDeltas != null) {
                            for (ObjectNode delta : toolDeltas.finish(first)) {
                                sink.send(deltaChunk(request, id, created, delta, null));
                                first = false;
                            }
                        }
                        sink.send(chunk(request, id, created, "", first, done.generated().finishReason()));
                        boolean wantsUsage = request.body().path("stream_options").path("include_usage").asBoolean(false);
                        if (wantsUsage) {
                            ObjectNode last = chunkEnvelope(request, id, created);
                            last.putArray("choices");
                            done.generated().usage().writeTo(last.putObject("usage"));
                            sink.send(last);
                        }
                        return done.generated().usage();
                    }
                    case Event.Failed failed -> throw rethrow(failed.failure());
                }
            }
        } catch (ClientGoneException e) {
            cancelled.set(true);  // the slot thread stops at the next token and frees the slot
            throw e;
        } catch (InterruptedException e) {
            cancelled.set(true);
            Thread.currentThread().interrupt();
            throw MeshException.of(Failure.UNAVAILABLE, "interrupted while streaming '" + options.modelId() + "'", e);
        }
    }

    /** Requests being generated or waiting for a slot. */
    public int busy() {
        return busy.get();
    }

    /** Generations stopped because their client went away, since the start. */
    public long cancelled() {
        return cancelled.get();
    }

    @Override
    public BackendHealth health() {
        return BackendHealth.ready(options.slots() + " slots, " + Math.min(busy.get(), options.slots()) + " busy, "
                + Math.max(0, busy.get() - options.slots()) + " waiting, " + cancelled.get() + " cancelled by their client");
    }

    /**
     * Stops the slot threads. The native memory stays allocated (the binding cannot free it):
     * a worker process ends after closing its backend.
     */
    @Override
    public void close() {
        slotThreads.shutdownNow();
    }

    /** What a generation produced: its text, or the calls read from it when tools were offered and it called them. */
    private record Generated(String prompt, String text, Optional<List<ToolAnswer.Call>> calls, String finishReason,
                             Usage usage) {
    }

    /** Whether a chat request offers tools the model may call (not {@code tool_choice: none}), without rendering them. */
    private static boolean offersTools(ChatRequest chat) {
        return chat.hasTools() && !chat.body().path("tool_choice").asText().equals("none");
    }

    /** A new call id in OpenAI's shape. */
    private static String callId() {
        return "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    /**
     * Turns the pieces of a tool-constrained answer into chat deltas as they arrive: text as
     * {@code content}; a call as soon as its name is written ({@code tool_calls[i]} with its id, type
     * and name) and then its arguments piece by piece. Pieces that could still become a call's
     * marker are held until it is clear which they are.
     */
    private final class ToolDeltas {
        private final StringBuilder answer = new StringBuilder();
        private final List<String> ids = new ArrayList<>();
        private final List<Integer> argumentsSent = new ArrayList<>();
        private int textSent;

        List<ObjectNode> add(String piece, boolean first) {
            answer.append(piece);
            return deltas(ToolAnswer.read(answer.toString(), toolFormat), first);
        }

        /** What is still held when the answer ends: a beginning of the marker that never became a call is text. */
        List<ObjectNode> finish(boolean first) {
            ToolAnswer.Reading reading = ToolAnswer.read(answer.toString(), toolFormat);
            return deltas(reading instanceof ToolAnswer.Reading.Undecided ? new ToolAnswer.Reading.Text(answer.toString())
                    : reading, first);
        }

        private List<ObjectNode> deltas(ToolAnswer.Reading reading, boolean first) {
            List<ObjectNode> deltas = new ArrayList<>();
            switch (reading) {
                case ToolAnswer.Reading.Undecided ignored -> { }
                case ToolAnswer.Reading.Text text -> {
                    if (text.text().length() > textSent) {
                        deltas.add(withRole(Json.object().put("content", text.text().substring(textSent)), first));
                        textSent = text.text().length();
                    }
                }
                case ToolAnswer.Reading.Calls calls -> {
                    for (int i = 0; i < calls.calls().size(); i++) {
                        ToolAnswer.Call call = calls.calls().get(i);
                        if (i == ids.size()) {
                            ids.add(callId());
                            argumentsSent.add(0);
                            ObjectNode delta = withRole(Json.object(), first && deltas.isEmpty()).putNull("content");
                            delta.putArray("tool_calls").addObject().put("index", i).put("id", ids.get(i))
                                    .put("type", "function").putObject("function").put("name", call.name()).put("arguments", "");
                            deltas.add(delta);
                        }
                        int sent = argumentsSent.get(i);
                        if (call.arguments().length() > sent) {
                            ObjectNode delta = Json.object();
                            delta.putArray("tool_calls").addObject().put("index", i).putObject("function")
                                    .put("arguments", call.arguments().substring(sent));
                            deltas.add(delta);
                            argumentsSent.set(i, call.arguments().length());
                        }
                    }
                }
            }
            return deltas;
        }

        private static ObjectNode withRole(ObjectNode delta, boolean first) {
            return first ? Json.object().put("role", "assistant").setAll(delta) : delta;
        }
    }

    private sealed interface Event {
        record Piece(String text) implements Event {
        }

        record Done(Generated generated) implements Event {
        }

        record Failed(Throwable failure) implements Event {
        }
    }

    /** Runs on a slot thread: render, count, generate, and account. The caller counted it as busy. */
    private Generated generate(MeshRequest request, Consumer<String> pieces, AtomicBoolean cancelled) {
        try {
            if (cancelled.get()) {
                throw new ClientGoneException(null);
            }
            Optional<ToolUse> tools = request instanceof ChatRequest chat ? ToolUse.of(chat.body()) : Optional.empty();
            EnergyLedger.Account account = ledger.open();  // from here, rendering and tokenizing count too
            int generated = 0;
            int maxNew;
            String prompt;
            int promptTokens;
            StringBuilder text = new StringBuilder();
            EnergyLedger.Share share;
            try {
                prompt = LlamaPrompt.text(model, request, vocabulary, tools, toolFormat);
                promptTokens = model.encode(prompt).length;
                account.tokens(promptTokens);
                int room = options.context() - promptTokens - 1;  // llama.cpp may add a beginning-of-sequence token
                if (room <= 0) {
                    throw MeshException.invalid(request instanceof ChatRequest ? "messages" : "prompt",
                            "context_length_exceeded", "The prompt has " + promptTokens + " tokens; the context window of '"
                                    + options.modelId() + "' is " + options.context() + " tokens.");
                }
                maxNew = (int) Math.min(room, maxTokens(request));
                LlamaIterator tokens = model.generate(LlamaPrompt.parameters(request, prompt, maxNew, vocabulary, tools, toolFormat, nonUtf8)).iterator();
                while (tokens.hasNext()) {
                    if (cancelled.get()) {
                        tokens.cancel();
                        this.cancelled.incrementAndGet();
                        break;
                    }
                    LlamaOutput output = tokens.next();
                    if (tokens.hasNext()) {
                        generated++;  // the last result only closes the stream
                        account.tokens(1);
                    }
                    if (!output.text.isEmpty()) {
                        text.append(output.text);
                        pieces.accept(output.text);
                    }
                }
            } finally {
                share = ledger.close(account);
            }
            if (!cancelled.get() && onlyTheLimitEnds(request)) {
                generated = maxNew;  // nothing else could have ended it; the per-token count may have merged tokens
            }
            Usage usage = new Usage(promptTokens, generated, share.cpuSeconds(), share.joules());
            if (tools.isPresent() && ToolAnswer.read(text.toString(), toolFormat) instanceof ToolAnswer.Reading.Calls calls) {
                // under the grammar a call can only be left open by the token limit (or a client gone)
                return calls.complete() ? new Generated(prompt, text.toString(), Optional.of(calls.calls()), "tool_calls", usage)
                        : new Generated(prompt, text.toString(), Optional.empty(), "length", usage);
            }
            String finish = generated >= maxNew || (!cancelled.get() && unfinishedJson(request, text)) ? "length" : "stop";
            return new Generated(prompt, text.toString(), Optional.empty(), finish, usage);
        } finally {
            busy.decrementAndGet();
        }
    }

    /**
     * Whether a JSON answer was cut: under a grammar llama.cpp lets end-of-sequence through only once
     * the JSON is complete, so without stop strings an answer that does not parse was ended by the
     * token limit, even when the per-token count (low for merged multi-byte pieces) stayed below it.
     */
    private static boolean unfinishedJson(MeshRequest request, CharSequence text) {
        if (!(request instanceof ChatRequest chat) || chat.responseFormat().equals("text") || request.body().hasNonNull("stop")) {
            return false;
        }
        try {
            Json.mapper().readTree(text.toString());
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** With end-of-sequence ignored, no stop string and no grammar, only the token limit ends a generation. */
    private static boolean onlyTheLimitEnds(MeshRequest request) {
        var body = request.body();
        return body.path("ignore_eos").asBoolean(false) && !body.hasNonNull("stop")
                && !(request instanceof ChatRequest chat && (!chat.responseFormat().equals("text") || offersTools(chat)));
    }

    private static long maxTokens(MeshRequest request) {
        return switch (request) {
            case ChatRequest chat -> chat.maxTokens().orElse(Long.MAX_VALUE);
            case CompletionRequest completion -> completion.maxTokens().orElse(Long.MAX_VALUE);
            case EmbeddingRequest ignored -> 0;
            case io.micromesh.api.ResponsesRequest ignored -> 0;
        };
    }

    private static RuntimeException rethrow(Throwable failure) {
        if (failure instanceof RuntimeException runtime
                && (runtime instanceof MeshException
                || runtime instanceof ClientGoneException)) {
            return runtime;
        }
        if (String.valueOf(failure.getMessage()).contains("too big compared to KV size")) {
            return MeshException.invalid("messages", "context_length_exceeded",
                    "The prompt does not fit the context window: " + failure.getMessage());
        }
        return MeshException.of(Failure.UPSTREAM_ERROR, "llama.cpp failed: " + failure, failure);
    }

    private ObjectNode envelope(MeshRequest request, boolean chunk) {
        boolean chat = request instanceof ChatRequest;
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("id", (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID());
        body.put("object", chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion");
        body.put("created", clock.instant().getEpochSecond());
        body.put("model", options.modelId());
        return body;
    }

    private ObjectNode chunkEnvelope(MeshRequest request, String id, long created) {
        ObjectNode chunk = envelope(request, true);
        chunk.put("id", id).put("created", created);
        return chunk;
    }

    /** A chat chunk carrying one delta. */
    private ObjectNode deltaChunk(MeshRequest request, String id, long created, ObjectNode delta, String finishReason) {
        ObjectNode chunk = chunkEnvelope(request, id, created);
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return chunk;
    }

    private ObjectNode chunk(MeshRequest request, String id, long created, String text, boolean first,
                             String finishReason) {
        if (request instanceof ChatRequest) {
            ObjectNode delta = Json.object();
            if (first) {
                delta.put("role", "assistant");
            }
            if (!text.isEmpty() || finishReason == null) {
                delta.put("content", text);
            }
            return deltaChunk(request, id, created, delta, finishReason);
        }
        ObjectNode chunk = chunkEnvelope(request, id, created);
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0).put("text", text);
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return chunk;
    }
}
