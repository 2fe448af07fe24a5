package io.micromesh.cli.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.api.MultipartForm;
import io.micromesh.api.Operation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The request bodies a benchmark sends, prepared before the clock starts: from a JSONL file of
 * OpenAI chat bodies or {@code {"prompt": ...}} lines (used in turn, round and round), or synthetic
 * prompts of a given length. A synthetic prompt is random common English words, one word per
 * requested token: close to one token per word for the BPE vocabularies of Granite, Llama and
 * GPT models; the figures use the token counts the server reports in {@code usage}.
 */
public final class Workload {

    private static final String[] WORDS = ("the of and to in is that for it as was with be by on not he this are or his"
            + " from at which but have an they you were her she there been one all we their has would when if so no"
            + " will more out up into do any your what some can time could them other than then now only its over"
            + " also new after work first well way even want because these give day most us call order account"
            + " service customer payment delivery question answer help thank please number card bank issue").split(" ");

    private final String path;
    private final List<byte[]> bodies;
    private final String contentType;

    private Workload(Shape shape, List<byte[]> bodies) {
        this(shape.routeDryRun() ? "/route" : shape.operation().path(), bodies, "application/json");
    }

    private Workload(String path, List<byte[]> bodies, String contentType) {
        this.path = path;
        this.bodies = bodies;
        this.contentType = contentType;
    }

    /**
     * Transcriptions of one audio file: OpenAI's multipart form for {@code /audio/transcriptions},
     * answered as {@code json}.
     *
     * @throws BenchException when the file cannot be read
     */
    public static Workload audio(Path file, String model) {
        byte[] audio;
        try {
            audio = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BenchException("cannot read --audio " + file + ": " + e.getMessage());
        }
        if (audio.length == 0) {
            throw new BenchException("--audio " + file + " is empty");
        }
        MultipartForm form = new MultipartForm().file("file", file.getFileName().toString(), "audio/wav", audio)
                .field("model", model).field("response_format", "json");
        return new Workload("/audio/transcriptions", List.of(form.bytes()), form.contentType());
    }

    /** The Content-Type of the bodies. */
    public String contentType() {
        return contentType;
    }

    /**
     * What the requests ask for: the endpoint, the model and the lengths.
     *
     * @param routeDryRun send the chat bodies to micromesh's {@code POST /v1/route} instead, to time decisions
     */
    public record Shape(Operation operation, String model, int inputTokens, Integer outputTokens, boolean stream,
                        boolean ignoreEos, boolean routeDryRun) {
    }

    /** {@code count} different synthetic requests of this shape (a seed makes them the same every run). */
    public static Workload synthetic(Shape shape, int count, long seed) {
        Random random = new Random(seed);
        List<byte[]> bodies = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StringBuilder prompt = new StringBuilder();
            for (int w = 0; w < shape.inputTokens(); w++) {
                prompt.append(w == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
            }
            bodies.add(Json.bytes(body(shape, prompt.toString(), null)));
        }
        return new Workload(shape, bodies);
    }

    /**
     * The lines of a JSONL file: chat bodies (with {@code messages}) or {@code {"prompt": ...}} objects.
     *
     * @throws BenchException naming the file and line of a line that is neither
     */
    public static Workload fromFile(Path file, Shape shape) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new BenchException("cannot read " + file + ": " + e.getMessage());
        }
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            ObjectNode entry;
            try {
                entry = Json.parseObject(line.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                throw new BenchException(file + ":" + (i + 1) + ": not a JSON object");
            }
            if (entry.has("messages") && shape.operation() == Operation.CHAT_COMPLETIONS) {
                bodies.add(Json.bytes(body(shape, null, entry)));
            } else if (entry.path("prompt").isTextual()) {
                bodies.add(Json.bytes(body(shape, entry.get("prompt").asText(), null)));
            } else {
                throw new BenchException(file + ":" + (i + 1) + ": expected a chat body with \"messages\" (for"
                        + " --endpoint chat) or an object with a string \"prompt\"");
            }
        }
        if (bodies.isEmpty()) {
            throw new BenchException(file + " holds no request");
        }
        return new Workload(shape, bodies);
    }

    private static ObjectNode body(Shape shape, String prompt, ObjectNode chatBody) {
        ObjectNode body = chatBody != null ? chatBody.deepCopy() : Json.object();
        body.put("model", shape.model());
        switch (shape.operation()) {
            case CHAT_COMPLETIONS -> {
                if (chatBody == null) {
                    body.putArray("messages").addObject().put("role", "user").put("content", prompt);
                }
            }
            case COMPLETIONS -> body.put("prompt", prompt);
            case EMBEDDINGS -> {
                body.put("input", prompt);
                return body;
            }
        }
        if (shape.outputTokens() != null) {
            body.remove("max_completion_tokens");
            body.put("max_tokens", shape.outputTokens());
        }
        if (shape.ignoreEos()) {
            body.put("ignore_eos", true);
        }
        if (shape.stream()) {
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
        } else {
            body.remove("stream");
            body.remove("stream_options");
        }
        return body;
    }

    /** The path under the API's base URL, e.g. {@code /chat/completions}. */
    public String path() {
        return path;
    }

    /** The body of the {@code i}-th request. */
    public byte[] body(long i) {
        return bodies.get((int) (i % bodies.size()));
    }
}
