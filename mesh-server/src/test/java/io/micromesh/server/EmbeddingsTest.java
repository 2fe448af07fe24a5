package io.micromesh.server;

import static io.micromesh.testkit.Vectors.cosine;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /v1/embeddings} on the in-process encoder. */
class EmbeddingsTest {

    private static final List<String> TEXTS = List.of("The cat sits on the mat.", "A kitten rests on a rug.",
            "Quarterly revenue grew by twelve percent.", "My parcel never arrived.");

    private static TestGateway mesh;

    @BeforeAll
    static void start() {
        mesh = new TestGateway("""
                models:
                  - id: minilm
                    engine: onnx
                    price: { input-per-mtok: 0.01 }
                    energy: { input-j-per-token: 0.5, source: "test figure" }
                  - id: minilm-exact
                    engine: onnx
                    max-batch: 1
                """);
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    private static float[] vector(JsonNode item) {
        JsonNode embedding = item.path("embedding");
        if (embedding.isTextual()) {
            ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(embedding.asText())).order(ByteOrder.LITTLE_ENDIAN);
            float[] v = new float[bytes.remaining() / 4];
            bytes.asFloatBuffer().get(v);
            return v;
        }
        float[] v = new float[embedding.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) embedding.get(i).asDouble();
        }
        return v;
    }

    private static JsonNode embed(String input, String format) {
        return embed("minilm", input, format);
    }

    private static JsonNode embed(String model, String input, String format) {
        HttpResponse<String> response = mesh.post("/v1/embeddings",
                "{\"model\":\"" + model + "\",\"input\":" + input + ",\"encoding_format\":\"" + format + "\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return TestGateway.json(response);
    }

    @Test
    void aListGivesTheVectorsOfTheTextsOneByOneExactlyWithoutBatchingAndCloselyWithIt() {
        String array = "[\"" + String.join("\",\"", TEXTS) + "\"]";
        JsonNode exact = embed("minilm-exact", array, "float");
        JsonNode batched = embed("minilm", array, "float");
        assertThat(exact.path("data")).hasSize(TEXTS.size());
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(exact.path("data").get(i).path("index").asInt()).isEqualTo(i);
            float[] alone = vector(embed("minilm-exact", "\"" + TEXTS.get(i) + "\"", "float").path("data").get(0));
            assertThat(vector(exact.path("data").get(i))).containsExactly(alone);
            // short texts of one request run as one padded batch: the quantized graph's per-tensor
            // scale moves each vector a little
            assertThat(cosine(vector(batched.path("data").get(i)), alone)).isGreaterThan(0.97);
        }
    }

    @Test
    void base64CarriesTheSameFloats() {
        float[] floats = vector(embed("\"" + TEXTS.get(0) + "\"", "float").path("data").get(0));
        float[] packed = vector(embed("\"" + TEXTS.get(0) + "\"", "base64").path("data").get(0));
        assertThat(packed).containsExactly(floats);
    }

    @Test
    void similarSentencesScoreCloserThanUnrelatedOnes() {
        JsonNode data = embed("[\"" + String.join("\",\"", TEXTS) + "\"]", "float").path("data");
        double close = cosine(vector(data.get(0)), vector(data.get(1)));
        assertThat(close).isGreaterThan(cosine(vector(data.get(0)), vector(data.get(2))));
        assertThat(close).isGreaterThan(cosine(vector(data.get(0)), vector(data.get(3))));
    }

    @Test
    void reportsTokensCostAndEnergy() {
        HttpResponse<String> response = mesh.post("/v1/embeddings", "{\"model\":\"minilm\",\"input\":\"hello world\"}");
        JsonNode usage = TestGateway.json(response).path("usage");
        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(4);  // [CLS] hello world [SEP]
        assertThat(usage.path("cost_usd").asDouble()).isEqualTo(4 * 0.01 / 1e6);
        assertThat(usage.path("energy_wh").asDouble()).isEqualTo(4 * 0.5 / 3600);
        assertThat(response.headers().firstValue("x-mesh-energy-method")).hasValue("per-token");
        assertThat(response.headers().firstValue("x-mesh-model")).hasValue("minilm");
    }

    @Test
    void refusesInputsLongerThanTheModelTakes() {
        HttpResponse<String> response = mesh.post("/v1/embeddings",
                "{\"model\":\"minilm\",\"input\":[\"short\",\"" + "word ".repeat(600) + "\"]}");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(TestGateway.json(response).path("error").path("param").asText()).isEqualTo("input[1]");
    }

    @Test
    void refusesWhatTheEncoderCannotDo() {
        assertThat(mesh.post("/v1/embeddings", "{\"model\":\"minilm\",\"input\":[[1,2,3]]}").statusCode()).isEqualTo(422);
        assertThat(mesh.post("/v1/embeddings", "{\"model\":\"minilm\",\"input\":\"a\",\"dimensions\":128}").statusCode())
                .isEqualTo(422);
        assertThat(mesh.post("/v1/chat/completions", TestGateway.chat("minilm", false)).statusCode()).isEqualTo(422);
    }
}
