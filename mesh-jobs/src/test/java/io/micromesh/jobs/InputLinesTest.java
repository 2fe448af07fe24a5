package io.micromesh.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class InputLinesTest {

    private static String line(String id, String url) {
        return "{\"custom_id\": \"" + id + "\", \"method\": \"POST\", \"url\": \"" + url + "\", \"body\": {\"model\": \"m\"}}";
    }

    @Test
    void everyNonBlankLineIsAnItemNumberedByItsLineInTheFile() {
        List<JobItem> items = InputLines.batchFile(line("a", "/v1/chat/completions") + "\n\n"
                + line("b", "/v1/embeddings") + "\n");
        assertThat(items).extracting(JobItem::line).containsExactly(1, 3);
        assertThat(items).extracting(JobItem::key).containsExactly("a", "b");
        assertThat(items).allMatch(JobItem::valid);
        assertThat(items.get(1).url()).isEqualTo("/v1/embeddings");
        assertThat(items.get(0).body().path("model").asText()).isEqualTo("m");
    }

    @Test
    void aLineThatCannotRunIsAnItemWithItsError() {
        List<JobItem> items = InputLines.batchFile(String.join("\n",
                "{not json",
                "{\"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": {}}",
                line("a", "/v1/chat/completions"),
                line("a", "/v1/chat/completions"),
                line("b", "/v1/images/generations"),
                "{\"custom_id\": \"c\", \"method\": \"GET\", \"url\": \"/v1/chat/completions\", \"body\": {}}",
                "{\"custom_id\": \"d\", \"url\": \"/v1/completions\", \"body\": \"text\"}"));
        assertThat(items).extracting(JobItem::error).containsExactly(
                "line 1 is not a JSON object",
                "line 2 has no custom_id",
                null,
                "custom_id 'a' of line 4 is used by an earlier line",
                "line 5: url must be one of " + InputLines.URLS,
                "line 6: method must be POST",
                "line 7: body must be an object");
        // every line keeps a key of its own, so that it still gets its one output line
        assertThat(items).extracting(JobItem::key).doesNotHaveDuplicates().contains("line-1", "a#line-4");
    }

    @Test
    void taskRecordsNeedAnIdOfTextOrNumber() {
        List<JobItem> items = InputLines.records("{\"id\": 7, \"transcript\": \"hi\"}\n{\"id\": \"x\"}\n{\"transcript\": \"no id\"}\n"
                + "{\"id\": \"x\"}\n[1, 2]");
        assertThat(items).extracting(JobItem::key).containsExactly("7", "x", "line-3", "x#line-4", "line-5");
        assertThat(items).extracting(JobItem::error).containsExactly(null, null, "line 3 has no id",
                "id 'x' of line 4 is used by an earlier line", "line 5 is not a JSON object");
        assertThat(items.get(0).record().path("transcript").asText()).isEqualTo("hi");
    }

    @Test
    void anEmptyInputIsRefused() {
        assertThatThrownBy(() -> InputLines.batchFile("\n  \n")).hasMessage("the input has no lines");
        assertThatThrownBy(() -> InputLines.records("")).hasMessage("the input has no lines");
    }
}
