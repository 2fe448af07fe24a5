package io.micromesh.engines.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** How a source names the URL to fetch and the local file. */
class PullSourceTest {

    private static final URI HUB = URI.create("https://huggingface.co");

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            hf://ibm-granite/granite-3.3-2b-instruct-GGUF/granite-3.3-2b-instruct-Q4_K_M.gguf | https://huggingface.co/ibm-granite/granite-3.3-2b-instruct-GGUF/resolve/main/granite-3.3-2b-instruct-Q4_K_M.gguf | granite-3.3-2b-instruct-Q4_K_M.gguf
            hf://acme/models@v1.0/q4/tiny model.gguf | https://huggingface.co/acme/models/resolve/v1.0/q4/tiny%20model.gguf | tiny model.gguf
            hf://acme/models@refs/pr/3/m.gguf | https://huggingface.co/acme/models/resolve/refs%2Fpr%2F3/m.gguf | m.gguf
            hf://acme/models@refs%2Fconvert%2Fgguf/m.gguf | https://huggingface.co/acme/models/resolve/refs%2Fconvert%2Fgguf/m.gguf | m.gguf
            hf://acme/models@0123abc/m.gguf | https://huggingface.co/acme/models/resolve/0123abc/m.gguf | m.gguf
            https://example.com/files/m.gguf?download=true | https://example.com/files/m.gguf?download=true | m.gguf
            http://127.0.0.1:8000/a%20b.gguf | http://127.0.0.1:8000/a%20b.gguf | a b.gguf
            """)
    void mapsTheSourceToAUrlAndAFileName(String source, String url, String file) {
        PullSource parsed = PullSource.parse(source, HUB);
        assertThat(parsed.uri()).hasToString(url);
        assertThat(parsed.fileName()).isEqualTo(file);
        assertThat(ModelPull.fileName(source)).isEqualTo(file);
    }

    @Test
    void theEndpointMayBeAMirrorWithAPath() {
        ModelPull pull = ModelPull.fromEnvironment(Map.of("MESH_HF_ENDPOINT", "http://mirror.local:8080/hf/"));
        assertThat(pull).isNotNull();
        PullSource parsed = PullSource.parse("hf://o/r/f.gguf", URI.create("http://mirror.local:8080/hf"));
        assertThat(parsed.uri()).hasToString("http://mirror.local:8080/hf/o/r/resolve/main/f.gguf");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://example.com/m.gguf", "models/m.gguf", "s3://bucket/m.gguf"})
    void refusesOtherSchemes(String source) {
        assertThatThrownBy(() -> ModelPull.fileName(source))
                .isInstanceOf(PullException.class)
                .hasMessage("unsupported source '" + source + "': use hf://OWNER/REPO/FILE, https://... or http://...");
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf://acme/models", "hf://acme//m.gguf", "hf://acme/models/", "hf://acme/models/dir/"})
    void refusesAnHfSourceWithoutOwnerRepoAndFile(String source) {
        assertThatThrownBy(() -> ModelPull.fileName(source))
                .isInstanceOf(PullException.class)
                .hasMessageContaining("'" + source + "' is not hf://OWNER/REPO/FILE");
    }

    @Test
    void refusesAUrlWithoutAFileName() {
        assertThatThrownBy(() -> ModelPull.fileName("https://example.com/models/"))
                .hasMessage("'https://example.com/models/' does not end in a file name");
    }

    @Test
    void refusesAnEndpointThatIsNotAnHttpUrl() {
        assertThatThrownBy(() -> ModelPull.fromEnvironment(Map.of("MESH_HF_ENDPOINT", "huggingface.co")))
                .isInstanceOf(PullException.class)
                .hasMessage("MESH_HF_ENDPOINT: 'huggingface.co' is not an http:// or https:// URL");
    }
}
