import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Output tokens/s of an engine worker (mesh engine, over HTTP with streaming) against the llama.cpp
 * binding called directly in this JVM, same model, same slots and context, same prompt and token
 * budget (end tokens banned so every stream generates exactly that many), at 1, 2 and 4 concurrent
 * streams. Runs alternate (binding, worker, binding, worker) so that noise hits both alike; the
 * model is loaded once on each side and only one side generates at a time.
 * Usage: EngineThroughput MODEL.gguf TOKENS ROUNDS MESH_JAR_CLASSPATH
 */
public class EngineThroughput {

    static final String PROMPT = "Once upon a time, in a land far away,";
    static final int SLOTS = 4;
    static final int CONTEXT = 512;
    static final int[] CONCURRENCY = System.getenv("STREAMS") == null ? new int[] {1, 2, 4}
            : java.util.Arrays.stream(System.getenv("STREAMS").split(",")).mapToInt(Integer::parseInt).toArray();

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int tokens = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        String classpath = args[3];
        int threads = Runtime.getRuntime().availableProcessors();

        LlamaModel direct = new LlamaModel(new ModelParameters().setModel(model.toString())
                .setCtxSize(CONTEXT * SLOTS).setParallel(SLOTS).enableContBatching()
                .setThreads(threads).setThreadsBatch(threads).disableLog());
        Process worker = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-XX:+UseSerialGC", "-cp", classpath,
                "io.micromesh.cli.Main", "engine", "--model", model.toString(), "--port", "0", "--slots", "" + SLOTS,
                "--ctx", "" + CONTEXT, "--threads", "" + threads, "--name", "bench", "--no-access-log")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        io.micromesh.engines.llamacpp.LlamaBackend backend = System.getenv("IN_PROCESS") == null ? null
                : io.micromesh.engines.llamacpp.LlamaBackend.load(new io.micromesh.engines.llamacpp.LlamaBackend.Options(
                        model, "bench", SLOTS, CONTEXT, threads, false),
                        io.micromesh.engines.llamacpp.LlamaBackend.processLedger(), java.time.Clock.systemUTC());
        try {
            String url = listening(worker);
            HttpClient http = HttpClient.newHttpClient();
            System.out.printf("model %s, %d tokens per stream, %d slots, %d threads%n", model.getFileName(), tokens, SLOTS, threads);
            System.out.println("round  streams  binding tok/s  worker tok/s  worker/binding   (round 0: warm-up, not counted)");
            double[] bindingSum = new double[CONCURRENCY.length];
            double[] workerSum = new double[CONCURRENCY.length];
            for (int round = 0; round <= rounds; round++) {
                for (int c = 0; c < CONCURRENCY.length; c++) {
                    int streams = CONCURRENCY[c];
                    // alternate which side goes first, so that drift over time hits both alike
                    boolean bindingFirst = (round + c) % 2 == 0;
                    double a = bindingFirst ? run(streams, () -> binding(direct, tokens)) : 0;
                    double b = run(streams, () -> viaWorker(http, url, tokens));
                    if (backend != null) {
                        double c2 = run(streams, () -> (int) backend.call(io.micromesh.api.CompletionRequest.parse(
                                io.micromesh.api.Json.parseObject(("{\"model\":\"bench\",\"prompt\":\"" + PROMPT
                                        + "\",\"max_tokens\":" + tokens + ",\"seed\":1,\"logit_bias\":{\"2\":-100,\"4\":-100}}")
                                        .getBytes()))).tokens().completion());
                        System.out.printf("       in-process LlamaBackend: %.2f tok/s%n", c2);
                    }
                    if (!bindingFirst) {
                        a = run(streams, () -> binding(direct, tokens));
                    }
                    System.out.printf("%5d  %7d  %13.2f  %12.2f  %14.3f%n", round, streams, a, b, b / a);
                    if (round > 0) {
                        bindingSum[c] += a;
                        workerSum[c] += b;
                    }
                }
            }
            System.out.println("mean over " + rounds + " rounds:");
            for (int c = 0; c < CONCURRENCY.length; c++) {
                System.out.printf("       %7d  %13.2f  %12.2f  %14.3f%n", CONCURRENCY[c], bindingSum[c] / rounds,
                        workerSum[c] / rounds, workerSum[c] / bindingSum[c]);
            }
        } finally {
            worker.destroy();
            worker.waitFor();
        }
        System.exit(0);
    }

    /** Total output tokens per second of {@code streams} concurrent generations. */
    static double run(int streams, Callable<Integer> generation) throws Exception {
        long start = System.nanoTime();
        int total = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(streams)) {
            List<Future<Integer>> runs = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                runs.add(pool.submit(generation));
            }
            for (Future<Integer> run : runs) {
                total += run.get();
            }
        }
        return total / ((System.nanoTime() - start) / 1e9);
    }

    static int binding(LlamaModel model, int tokens) {
        // the sampling the worker uses for a request without temperature and top_p (OpenAI's defaults)
        InferenceParameters params = new InferenceParameters(PROMPT).setNPredict(tokens).setSeed(1)
                .setTemperature(1.0f).setTopP(1.0f)
                .setTokenIdBias(Map.of(2, -100f, 4, -100f)).setCachePrompt(true);
        int pieces = 0;
        var it = model.generate(params).iterator();
        while (it.hasNext()) {
            LlamaOutput out = it.next();
            if (it.hasNext()) {
                pieces++;
            }
        }
        return pieces;
    }

    static final Pattern COMPLETION_TOKENS = Pattern.compile("\"completion_tokens\":(\\d+)");

    static final boolean STREAM = !"false".equals(System.getenv("STREAM"));

    static int viaWorker(HttpClient http, String url, int tokens) throws Exception {
        String body = "{\"model\":\"bench\",\"prompt\":\"" + PROMPT + "\",\"max_tokens\":" + tokens
                + ",\"seed\":1,\"stream\":" + STREAM + ",\"stream_options\":{\"include_usage\":true},"
                + "\"logit_bias\":{\"2\":-100,\"4\":-100}}";
        HttpResponse<java.util.stream.Stream<String>> response = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofLines());
        int[] counted = {0};
        response.body().forEach(line -> {
            Matcher m = COMPLETION_TOKENS.matcher(line);
            if (m.find()) {
                counted[0] = Integer.parseInt(m.group(1));
            }
        });
        return counted[0];
    }

    static String listening(Process worker) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(worker.getInputStream()));
        String line;
        Pattern listening = Pattern.compile("listening on (http://\\S+)");
        while ((line = out.readLine()) != null) {
            Matcher m = listening.matcher(line);
            if (m.find()) {
                return m.group(1);
            }
        }
        throw new IllegalStateException("the worker exited before listening");
    }
}
