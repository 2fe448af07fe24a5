package io.micromesh.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The bounded window a semantic decision embeds. */
class RouterWindowTest {

    @Test
    void aLongMessageKeepsItsFirstAndLastWords() {
        String text = IntStream.range(0, 500).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
        String window = Router.window(text, 64);
        String[] words = window.split(" ");
        assertThat(words).hasSize(64);
        assertThat(words[0]).isEqualTo("w0");
        assertThat(words[31]).isEqualTo("w31");
        assertThat(words[32]).isEqualTo("w468");
        assertThat(words[63]).isEqualTo("w499");
    }

    @Test
    void aShortMessageIsKeptWholeWithItsSpacesNormalised() {
        assertThat(Router.window("  where is   my\npackage ", 64)).isEqualTo("where is my package");
    }
}
