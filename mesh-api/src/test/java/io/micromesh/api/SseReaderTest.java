package io.micromesh.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SseReaderTest {

    private static List<String> events(String stream) throws IOException {
        List<String> out = new ArrayList<>();
        try (SseReader reader = new SseReader(new ByteArrayInputStream(stream.getBytes(StandardCharsets.UTF_8)))) {
            Optional<String> next;
            while ((next = reader.next()).isPresent()) {
                out.add(next.get());
            }
        }
        return out;
    }

    @Test
    void readsDataOfEachEventSkippingCommentsAndOtherFields() throws IOException {
        assertThat(events(": keep-alive\n\nevent: message\ndata: {\"a\":1}\n\ndata:{\"b\":2}\r\n\r\ndata: [DONE]\n\n"))
                .containsExactly("{\"a\":1}", "{\"b\":2}", "[DONE]");
    }

    @Test
    void joinsMultiLineData() throws IOException {
        assertThat(events("data: one\ndata: two\n\n")).containsExactly("one\ntwo");
    }

    @Test
    void dropsAnEventCutOffByTheEndOfTheStream() throws IOException {
        assertThat(events("data: whole\n\ndata: cut")).containsExactly("whole");
    }
}
