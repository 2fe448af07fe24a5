package io.micromesh.jobs.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Chunks split at headings, then at paragraphs within the budget, then at words; each knows its pages. */
class ChunksTest {

    @Test
    void sectionsStayTogetherWithinTheBudgetAndChunksKnowTheirPages() {
        String markdown = "<!-- page 1 -->\n\n# Title\n\nIntro paragraph.\n\n## Methods\n\nWe measured.\n\n"
                + "<!-- page 2 -->\n\n## Results\n\n" + "word ".repeat(100) + "\n\nShort end.\n";
        List<Chunks.Chunk> chunks = Chunks.of(markdown, 40);
        assertThat(chunks.get(0).text()).isEqualTo("# Title\n\nIntro paragraph.");
        assertThat(chunks.get(1).text()).isEqualTo("## Methods\n\nWe measured.");
        assertThat(chunks.get(1).firstPage()).isEqualTo(1);
        assertThat(chunks.get(2).text()).startsWith("## Results");
        assertThat(chunks.get(2).firstPage()).isEqualTo(2);
        assertThat(chunks).allSatisfy(c -> assertThat(Chunks.tokens(c.text())).isLessThanOrEqualTo(40));
        assertThat(String.join(" ", chunks.stream().map(Chunks.Chunk::text).toList()).split("word").length - 1)
                .as("no word lost when a paragraph is cut").isEqualTo(100);
        assertThat(chunks.getLast().text()).endsWith("Short end.");
        assertThat(chunks.getLast().lastPage()).isEqualTo(2);
    }
}
