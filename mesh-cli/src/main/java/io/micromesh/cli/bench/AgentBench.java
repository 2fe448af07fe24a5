package io.micromesh.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Replays agent traffic: each task is one agent run ({@code x-mesh-workflow}) that sends {@code steps}
 * chat requests offering a tool; every step but the last must call it ({@code tool_choice: required}),
 * the tool's made-up result (of {@code resultWords} words) is appended with the call, so each request
 * carries the whole growing conversation; the last step answers ({@code tool_choice: none}).
 * {@code agents} runs go side by side. Meanwhile a probe sends plain questions in the interactive
 * lane at a fixed rate, to show what agents cost the people waiting; the probe also runs alone
 * first, for the figure to compare with. Costs and energy are the gateway's {@code usage.cost_usd}
 * and {@code usage.energy_wh}.
 */
public final class AgentBench {

    /**
     * What to replay.
     *
     * @param model            the model or route the agents ask for
     * @param interactiveModel what the probe asks for
     * @param tasks            agent runs in all
     * @param agents           agent runs at a time
     * @param steps            requests per run (at least 2: a call, then the answer)
     * @param resultWords      words of each tool result
     * @param maxTokens        {@code max_tokens} of each step
     * @param interactiveRate  probe questions per second (0: no probe)
     * @param seed             fixes the questions and results
     */
    public record Shape(String model, String interactiveModel, int tasks, int agents, int steps, int resultWords,
                        int maxTokens, double interactiveRate, long seed) {
        public Shape {
            if (tasks < 1 || agents < 1) {
                throw new BenchException("--tasks and --concurrency (agents at a time) must be at least 1");
            }
            if (steps < 2) {
                throw new BenchException("--steps must be at least 2 (tool calls, then the answer), got " + steps);
            }
            if (resultWords < 0 || maxTokens < 1) {
                throw new BenchException("--result-words must not be negative and --output-tokens at least 1");
            }
            if (interactiveRate < 0) {
                throw new BenchException("--interactive-rate must not be negative, got " + interactiveRate);
            }
        }
    }

    /**
     * What a replay measured.
     *
     * @param tasks          runs that finished every step
     * @param failedTasks    runs stopped by a failed request
     * @param seconds        wall time of the agents' part
     * @param steps          latency of agent requests
     * @param costUsdPerTask gateway-reported cost per finished run
     * @param energyWhPerTask gateway-reported energy per finished run
     * @param toolCalls      steps answered with a tool call (of those that required one)
     * @param models         which models answered agent requests, by count
     * @param interactive    probe latency while agents ran
     * @param interactiveIdle probe latency alone, before
     * @param errors         failed requests by kind
     */
    public record Result(int tasks, int failedTasks, double seconds, Figures.Stats steps, double costUsdPerTask,
                         double energyWhPerTask, String toolCalls, Map<String, Integer> models,
                         Figures.Stats interactive, Figures.Stats interactiveIdle, Map<String, Integer> errors) {

        /** Finished runs per second. */
        public double tasksPerS() {
            return tasks / Math.max(1e-9, seconds);
        }

        /** One line for the terminal. */
        public String line(String label) {
            return String.format(Locale.ROOT, "%s: %d tasks (%d failed) in %.1f s = %.3f tasks/s; step p50 %.0f ms p99 %.0f ms;"
                    + " per task $%.6f, %.4f Wh; tool calls %s; models %s; interactive p50 %.0f ms p99 %.0f ms (alone: p50 %.0f"
                    + " p99 %.0f)%s", label, tasks, failedTasks, seconds, tasksPerS(), steps.p50(), steps.p99(),
                    costUsdPerTask, energyWhPerTask, toolCalls, models, interactive.p50(), interactive.p99(),
                    interactiveIdle.p50(), interactiveIdle.p99(), errors.isEmpty() ? "" : "; errors " + errors);
        }

        /** The figures as JSON. */
        public ObjectNode toJson() {
            ObjectNode json = Json.object().put("tasks", tasks).put("failed_tasks", failedTasks)
                    .put("seconds", Figures.round(seconds)).put("tasks_per_s", Figures.round(tasksPerS()))
                    .put("step_p50_ms", Figures.round(steps.p50())).put("step_p99_ms", Figures.round(steps.p99()))
                    .put("cost_usd_per_task", costUsdPerTask).put("energy_wh_per_task", energyWhPerTask)
                    .put("tool_calls", toolCalls)
                    .put("interactive_p50_ms", Figures.round(interactive.p50()))
                    .put("interactive_p99_ms", Figures.round(interactive.p99()))
                    .put("interactive_alone_p50_ms", Figures.round(interactiveIdle.p50()))
                    .put("interactive_alone_p99_ms", Figures.round(interactiveIdle.p99()));
            ObjectNode byModel = json.putObject("models");
            models.forEach(byModel::put);
            ObjectNode byError = json.putObject("errors");
            errors.forEach(byError::put);
            return json;
        }
    }

    private static final String[] WORDS = ("order account refund delivery invoice balance customer ticket status"
            + " shipment address payment plan contract renewal warranty device network outage credit").split(" ");

    private final URI base;
    private final Map<String, String> headers;
    private final HttpClient http;
    private final Duration timeout;

    /**
     * @param base    the API's base URL, ending in {@code /v1}
     * @param apiKey  bearer token, or null
     * @param timeout longest wait for one answer
     * @param headers extra request headers
     */
    public AgentBench(URI base, String apiKey, Duration timeout, Map<String, String> headers) {
        this.base = base;
        Map<String, String> all = new java.util.LinkedHashMap<>(headers);
        if (apiKey != null && !apiKey.isBlank()) {
            all.put("Authorization", "Bearer " + apiKey);
        }
        this.headers = Map.copyOf(all);
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** Runs the probe alone, then the agents with the probe beside them. */
    public Result run(Shape shape, String runId, java.util.function.IntConsumer progress) {
        int idleProbes = shape.interactiveRate() > 0 ? 10 : 0;
        List<Double> idle = probe(shape, idleProbes, () -> true);
        List<Double> stepMs = Collections.synchronizedList(new ArrayList<>());
        Map<String, Integer> models = new ConcurrentHashMap<>();
        Map<String, Integer> errors = new ConcurrentHashMap<>();
        AtomicInteger finished = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger required = new AtomicInteger();
        AtomicInteger called = new AtomicInteger();
        AtomicLong costMicro = new AtomicLong();
        AtomicLong energyMicro = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean agentsRunning = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<Double> interactive = Collections.synchronizedList(new ArrayList<>());
        Thread prober = Thread.ofVirtual().start(() -> interactive.addAll(probe(shape, Integer.MAX_VALUE, agentsRunning::get)));
        long start = System.nanoTime();
        List<Thread> agents = new ArrayList<>();
        for (int a = 0; a < shape.agents(); a++) {
            agents.add(Thread.ofVirtual().start(() -> {
                for (int task = next.getAndIncrement(); task < shape.tasks(); task = next.getAndIncrement()) {
                    boolean ok = task(shape, runId + "-" + task, task, stepMs, models, errors, required, called,
                            costMicro, energyMicro);
                    (ok ? finished : failed).incrementAndGet();
                    progress.accept(finished.get() + failed.get());
                }
            }));
        }
        for (Thread agent : agents) {
            join(agent);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        agentsRunning.set(false);
        join(prober);
        int done = Math.max(1, finished.get());
        return new Result(finished.get(), failed.get(), seconds, stats(stepMs), costMicro.get() / 1e6 / done,
                energyMicro.get() / 1e6 / done, called.get() + "/" + required.get(), new TreeMap<>(models),
                stats(interactive), stats(idle), new TreeMap<>(errors));
    }

    /** One agent run; false when a request failed and the run stopped. */
    private boolean task(Shape shape, String workflow, int task, List<Double> stepMs, Map<String, Integer> models,
                         Map<String, Integer> errors, AtomicInteger required, AtomicInteger called, AtomicLong costMicro,
                         AtomicLong energyMicro) {
        Random random = new Random(shape.seed() * 1_000_003L + task);
        ArrayNode messages = Json.mapper().createArrayNode();
        messages.addObject().put("role", "system").put("content", "You are a support agent. Use the lookup tool to find"
                + " facts before answering.");
        messages.addObject().put("role", "user").put("content", "Customer question: " + words(random, 24) + "?");
        for (int step = 0; step < shape.steps(); step++) {
            boolean last = step == shape.steps() - 1;
            ObjectNode body = Json.object().put("model", shape.model()).put("max_tokens", shape.maxTokens())
                    .put("tool_choice", last ? "none" : "required").put("parallel_tool_calls", false)
                    .put("seed", random.nextInt(1_000_000));
            body.set("messages", messages);
            body.set("tools", tools());
            long sent = System.nanoTime();
            JsonNode answer;
            try {
                answer = post("/chat/completions", body, Map.of("x-mesh-workflow", workflow));
            } catch (Failure e) {
                errors.merge(e.kind, 1, Integer::sum);
                return false;
            }
            stepMs.add((System.nanoTime() - sent) / 1e6);
            models.merge(answer.path("model").asText("?"), 1, Integer::sum);
            costMicro.addAndGet(Math.round(answer.path("usage").path("cost_usd").asDouble() * 1e6));
            energyMicro.addAndGet(Math.round(answer.path("usage").path("energy_wh").asDouble() * 1e6));
            if (last) {
                return true;
            }
            required.incrementAndGet();
            JsonNode message = answer.path("choices").path(0).path("message");
            JsonNode calls = message.path("tool_calls");
            if (calls.isArray() && !calls.isEmpty()) {
                called.incrementAndGet();
                ObjectNode assistant = messages.addObject().put("role", "assistant").putNull("content");
                assistant.set("tool_calls", calls);
                calls.forEach(call -> messages.addObject().put("role", "tool").put("tool_call_id", call.path("id").asText())
                        .put("content", words(random, shape.resultWords())));
            } else {  // a model that answered instead: its text, and the facts as the user's next turn
                messages.addObject().put("role", "assistant").put("content", message.path("content").asText(""));
                messages.addObject().put("role", "user").put("content", "Facts: " + words(random, shape.resultWords()));
            }
        }
        return true;
    }

    /** Probe questions at the shape's rate while {@code running}, at most {@code count}; their latencies in ms. */
    private List<Double> probe(Shape shape, int count, java.util.function.BooleanSupplier running) {
        List<Double> latencies = new ArrayList<>();
        if (shape.interactiveRate() <= 0) {
            return latencies;
        }
        Random random = new Random(shape.seed());
        long interval = (long) (1e9 / shape.interactiveRate());
        long due = System.nanoTime();
        for (int i = 0; i < count && running.getAsBoolean(); i++) {
            LockSupport.parkNanos(due - System.nanoTime());
            ObjectNode body = Json.object().put("model", shape.interactiveModel()).put("max_tokens", 8);
            body.putArray("messages").addObject().put("role", "user").put("content", words(random, 16) + "?");
            long sent = System.nanoTime();
            try {
                post("/chat/completions", body, Map.of("x-mesh-priority", "interactive"));
                latencies.add((System.nanoTime() - sent) / 1e6);
            } catch (Failure e) {
                // the agents' figures say what failed; the probe only measures the answered
            }
            due = Math.max(due + interval, System.nanoTime());
        }
        return latencies;
    }

    private static ArrayNode tools() {
        ArrayNode tools = Json.mapper().createArrayNode();
        ObjectNode function = tools.addObject().put("type", "function").putObject("function").put("name", "lookup")
                .put("description", "Looks up a fact in the customer's records");
        ObjectNode parameters = function.putObject("parameters").put("type", "object").put("additionalProperties", false);
        parameters.putObject("properties").putObject("query").put("type", "string").put("maxLength", 40);
        parameters.putArray("required").add("query");
        return tools;
    }

    private static String words(Random random, int count) {
        StringBuilder text = new StringBuilder();
        for (int w = 0; w < count; w++) {
            text.append(w == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        return text.toString();
    }

    /** A failed request, by kind ({@code http_503}, {@code timeout}, {@code connect}). */
    private static final class Failure extends Exception {
        final String kind;

        Failure(String kind, String detail) {
            super(detail, null, false, false);
            this.kind = kind;
        }
    }

    private JsonNode post(String path, ObjectNode body, Map<String, String> more) throws Failure {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)));
        headers.forEach(request::header);
        more.forEach(request::header);
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new Failure("http_" + response.statusCode(), new String(response.body(),
                        java.nio.charset.StandardCharsets.UTF_8));
            }
            return Json.mapper().readTree(response.body());
        } catch (java.net.http.HttpTimeoutException e) {
            throw new Failure("timeout", e.getMessage());
        } catch (java.net.ConnectException e) {
            throw new Failure("connect", e.getMessage());
        } catch (IOException e) {
            throw new Failure("io", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted", e.getMessage());
        }
    }

    private static Figures.Stats stats(List<Double> values) {
        synchronized (values) {
            return Figures.Stats.of(values.stream().mapToDouble(Double::doubleValue).toArray());
        }
    }

    private static void join(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
