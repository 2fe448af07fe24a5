package io.micromesh.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

    /** The configuration of issue 2, exactly as written there. */
    private static final String ISSUE_2_EXAMPLE = """
            server: { host: 127.0.0.1, port: 8080 }
            models:
              - id: remote-a                  # any OpenAI-compatible server (vLLM, Ollama, llama-server, TGI)
                engine: openai
                endpoints: ["http://127.0.0.1:9000/v1", "http://127.0.0.1:9001/v1"]
                served-name: some-upstream-name   # optional: model name sent upstream (default: id)
                api-key: ${UPSTREAM_KEY}          # optional: upstream bearer token
              - id: tiny
                engine: llamacpp                 # a local engine worker process (next issue)
                file: models/tiny.gguf
                pull: hf://OWNER/REPO/FILE.gguf  # optional: where `mesh pull` fetches the file from
                slots: 2
              - id: minilm
                engine: onnx                     # in-process encoder: all-MiniLM-L6-v2 quantized
            """;

    private static MeshConfig parse(String yaml) {
        return ConfigLoader.withEnvironment(Map.of()).parse(yaml);
    }

    @Test
    void readsTheIssueExampleExactlyAsWritten() {
        MeshConfig config = ConfigLoader.withEnvironment(Map.of("UPSTREAM_KEY", "sk-test")).parse(ISSUE_2_EXAMPLE);
        assertThat(config.server().host()).isEqualTo("127.0.0.1");
        assertThat(config.server().port()).isEqualTo(8080);
        ModelSpec.OpenAi remote = (ModelSpec.OpenAi) config.models().get(0);
        assertThat(remote.engine()).isEqualTo(Engine.OPENAI);
        assertThat(remote.endpoints()).containsExactly("http://127.0.0.1:9000/v1", "http://127.0.0.1:9001/v1");
        assertThat(remote.servedName()).isEqualTo("some-upstream-name");
        assertThat(remote.upstreamApiKey()).hasValue("sk-test");
        ModelSpec.LlamaCpp tiny = (ModelSpec.LlamaCpp) config.models().get(1);
        assertThat(tiny.engine()).isEqualTo(Engine.LLAMACPP);
        assertThat(tiny.file()).isEqualTo("models/tiny.gguf");
        assertThat(tiny.slots()).isEqualTo(2);
        assertThat(config.models().get(2).capabilities()).containsExactly(Capability.EMBEDDINGS);
    }

    @Test
    void anUnsetVariableIsEmptyAndAnEmptyApiKeyMeansNone() {
        MeshConfig config = parse(ISSUE_2_EXAMPLE);
        assertThat(((ModelSpec.OpenAi) config.models().get(0)).upstreamApiKey()).isEmpty();
    }

    @Test
    void substitutesVariablesWithDefaultsAndRefusesMissingRequiredOnes() {
        String yaml = """
                server: { port: "${PORT:-9090}" }
                models: [{ id: "${ID}", engine: onnx }]
                """;
        MeshConfig config = ConfigLoader.withEnvironment(Map.of("ID", "enc")).parse(yaml);
        assertThat(config.server().port()).isEqualTo(9090);
        assertThat(config.models().get(0).id()).isEqualTo("enc");
        assertThatThrownBy(() -> parse("models: [{ id: \"${ID:?set ID to the model id}\", engine: onnx }]"))
                .hasMessage("models[0].id: environment variable ID is not set: set ID to the model id");
    }

    @Test
    void appliesDefaults() {
        MeshConfig config = parse("models: [{ id: enc, engine: onnx }]");
        assertThat(config.server().host()).isEqualTo("127.0.0.1");
        assertThat(config.server().port()).isEqualTo(8080);
        assertThat(config.server().apiKey()).isNull();
        assertThat(config.server().maxBodyBytes()).isEqualTo(ServerSettings.DEFAULT_MAX_BODY_BYTES);
        assertThat(config.server().cache()).isEqualTo(new ServerSettings.Cache(ServerSettings.Cache.DEFAULT_MAX_ENTRIES,
                ServerSettings.Cache.DEFAULT_MAX_BYTES));
        assertThat(parse("server: { cache: { max-entries: 500, max-bytes: 8388608 } }\nmodels: [{ id: enc, engine: onnx }]")
                .server().cache()).isEqualTo(new ServerSettings.Cache(500L, 8_388_608L));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "models: [{ id: a, engine: onnx, colour: red }]                        | models[0].colour: unknown key; allowed here:",
            "servr: { port: 1 }\\nmodels: [{ id: a, engine: onnx }]                 | servr: unknown key; allowed here: kafka, models, routes, server, store",
            "models: [{ id: a, engine: gpt }]                                      | models[0].engine: 'gpt' is not allowed; allowed: openai, llamacpp, onnx",
            "models: [{ id: a, engine: llamacpp, file: x.gguf, slots: 0 }]         | models[0].slots: 0 is not allowed; it must be from 1 to 256",
            "models: [{ id: a, engine: llamacpp, file: x.gguf, slots: many }]      | models[0].slots: 'many' is not allowed; expected a whole number",
            "models: [{ id: a, engine: llamacpp }]                                 | models[0].file: is required for engine llamacpp",
            "models: [{ id: a, engine: openai }]                                   | models[0].endpoints: is required for engine openai",
            "models: [{ id: a, engine: openai, endpoints: [ftp://x/v1] }]          | models[0].endpoints[0]: 'ftp://x/v1' is not allowed",
            "models: [{ id: a, engine: onnx, endpoints: [http://x/v1] }]           | models[0].endpoints: is not used by engine onnx",
            "models: [{ id: a, engine: onnx }, { id: a, engine: onnx }]            | models[1].id: 'a' is already the id of models[0]",
            "models: [{ id: a, engine: onnx, price: { input-per-mtok: -1 } }]      | models[0].price.input-per-mtok: -1.0 is not allowed",
            "models: [{ id: a, engine: onnx, energy: { input-j-per-token: 1 } }]   | models[0].energy.source: is required",
            "models: [{ id: a, engine: onnx, hardware: { kind: tpu } }]            | models[0].hardware.kind: 'tpu' is not allowed; allowed: cpu, gpu",
            "models: [{ id: a, engine: onnx, capabilities: [dance] }]              | models[0].capabilities[0]: 'dance' is not allowed; allowed: chat",
            "server: { port: 70000 }\\nmodels: [{ id: a, engine: onnx }]            | server.port: 70000 is not allowed; it must be from 0 to 65535",
            "server: { port: 80.5 }\\nmodels: [{ id: a, engine: onnx }]             | server.port:",
            "server: { cache: { max-entries: 0 } }\\nmodels: [{ id: a, engine: onnx }] | server.cache.max-entries: 0 is not allowed",
            "server: { cache: { max-bytes: 1000 } }\\nmodels: [{ id: a, engine: onnx }] | server.cache.max-bytes: 1000 is not allowed",
            "server: { batches: { concurrency: 0 } }\\nmodels: [{ id: a, engine: onnx }] | server.batches.concurrency: 0 is not allowed",
            "server: { lanes: { agent: 0.5, batch: 0.5 } }\\nmodels: [{ id: a, engine: onnx }] | server.lanes: the shares add up to 1.0",
            "server: { lanes: { agent: 2 } }\\nmodels: [{ id: a, engine: onnx }]   | server.lanes.agent: 2.0 is not allowed",
            "server: { tracing: { otlp-endpoint: 'http://x:4318', sample-ratio: 5 } }\\nmodels: [{ id: a, engine: onnx }] | server.tracing.sample-ratio: 5.0",
            "server: { tls: { cert: a.pem } }\\nmodels: [{ id: a, engine: onnx }]   | server.tls: needs both 'cert' and 'key'",
            "store: { pool-size: 0 }\\nmodels: [{ id: a, engine: onnx }]            | store.pool-size: 0 is not allowed",
            "kafka: { partitions: 0 }\\nmodels: [{ id: a, engine: onnx }]           | kafka.partitions: 0 is not allowed",
            "models: [{ id: a, engine: onnx, cache: { mode: fuzzy } }]             | models[0].cache.mode: 'fuzzy' is not allowed",
            "models: []                                                            | models: is required: a list of at least one model",
            "models: [{ id: 'a b', engine: onnx }]                                 | models[0].id: 'a b' is not allowed",
            "'just text'                                                           | the top level must be a mapping",
            "'models: [ {'                                                         | not valid YAML",
    })
    void refusesBadConfigurationNamingTheKey(String yaml, String message) {
        assertThatThrownBy(() -> parse(yaml.replace("\\n", "\n")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void namesTheFileInItsMessages(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mesh.yaml");
        Files.writeString(file, "models: [{ id: a, engine: onnx, slots: 2 }]");
        assertThatThrownBy(() -> ConfigLoader.withEnvironment(Map.of()).load(file))
                .hasMessage(file + ": models[0].slots: is not used by engine onnx; it applies to engines llamacpp and whisper-cpp only");
        assertThatThrownBy(() -> ConfigLoader.withEnvironment(Map.of()).load(dir.resolve("missing.yaml")))
                .hasMessageContaining("no such file");
    }

    @Test
    void theShippedDefaultPortfolioIsValid() {
        Path shipped = Path.of(System.getProperty("user.dir")).resolve("../config/mesh.yaml").normalize();
        MeshConfig config = ConfigLoader.withEnvironment(Map.of()).load(shipped);
        assertThat(config.model("minilm")).hasValueSatisfying(m -> assertThat(m.engine()).isEqualTo(Engine.ONNX));
        assertThat(config.models()).anySatisfy(m -> assertThat(m.engine()).isEqualTo(Engine.LLAMACPP));
    }
}
