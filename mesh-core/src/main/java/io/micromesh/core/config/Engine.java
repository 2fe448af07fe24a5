package io.micromesh.core.config;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.stream.Collectors;

/** How a model of the portfolio is run. */
public enum Engine {
    /** Any OpenAI-compatible server: vLLM, Ollama, llama-server, TGI, or a micromesh engine worker. */
    OPENAI("openai"),
    /** A local llama.cpp engine worker process started and supervised by the gateway. */
    LLAMACPP("llamacpp"),
    /** An in-process encoder on ONNX Runtime (all-MiniLM-L6-v2 quantized). */
    ONNX("onnx"),
    /** In-process speech to text with Vosk (Kaldi); by default its small English model, bundled. */
    VOSK("vosk"),
    /** In-process speech to text with whisper.cpp (through whisper-jni) on a user-supplied ggml model file. */
    WHISPER_CPP("whisper-cpp");

    private final String key;

    Engine(String key) {
        this.key = key;
    }

    /** The name used in the configuration file. */
    @JsonValue
    public String key() {
        return key;
    }

    /** The names allowed in the configuration file, for error messages. */
    public static String allowed() {
        return Arrays.stream(values()).map(Engine::key).collect(Collectors.joining(", "));
    }
}
