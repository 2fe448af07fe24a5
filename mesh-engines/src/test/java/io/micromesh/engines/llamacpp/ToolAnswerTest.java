package io.micromesh.engines.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Reading tool-constrained answers, whole and partial, and renaming the rules of a converted grammar. */
@Timeout(10)
class ToolAnswerTest {

    @Test
    void chatmlCallsAreReadWithTheirArgumentsVerbatim() {
        String answer = "<tool_call>\n{\"name\": \"a\", \"arguments\": {\"s\": \"}\\\"{\", \"n\": [1, {\"x\": 2}]} }\n</tool_call>\n"
                + "<tool_call>\n{\"name\": \"b\", \"arguments\": {}}\n</tool_call>";
        var reading = (ToolAnswer.Reading.Calls) ToolAnswer.read(answer, ToolFormat.CHATML);
        assertThat(reading.complete()).isTrue();
        assertThat(reading.calls()).containsExactly(
                new ToolAnswer.Call("a", "{\"s\": \"}\\\"{\", \"n\": [1, {\"x\": 2}]}", true),
                new ToolAnswer.Call("b", "{}", true));
    }

    @Test
    void aPartialAnswerIsUndecidedThenAnOpenCall() {
        assertThat(ToolAnswer.read("", ToolFormat.CHATML)).isInstanceOf(ToolAnswer.Reading.Undecided.class);
        assertThat(ToolAnswer.read("<tool_", ToolFormat.CHATML)).isInstanceOf(ToolAnswer.Reading.Undecided.class);
        assertThat(ToolAnswer.read("<tab>", ToolFormat.CHATML)).isEqualTo(new ToolAnswer.Reading.Text("<tab>"));
        var named = (ToolAnswer.Reading.Calls) ToolAnswer.read("<tool_call>\n{\"name\": \"get_w", ToolFormat.CHATML);
        assertThat(named.calls()).isEmpty();
        var open = (ToolAnswer.Reading.Calls) ToolAnswer.read("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"q\": \"a}",
                ToolFormat.CHATML);
        assertThat(open.calls()).containsExactly(new ToolAnswer.Call("f", "{\"q\": \"a}", false));
        assertThat(open.complete()).isFalse();
    }

    @Test
    void graniteCallsAreAListWithOrWithoutTheMarker() {
        String list = "[{\"name\": \"f\", \"arguments\": {\"a\": 1}}, {\"name\": \"g\", \"arguments\": {}}]";
        for (String answer : List.of(list, "<|tool_call|>" + list)) {
            var reading = (ToolAnswer.Reading.Calls) ToolAnswer.read(answer, ToolFormat.GRANITE);
            assertThat(reading.calls()).extracting(ToolAnswer.Call::name).containsExactly("f", "g");
        }
        assertThat(ToolAnswer.read("Hello", ToolFormat.GRANITE)).isInstanceOf(ToolAnswer.Reading.Text.class);
        assertThat(ToolAnswer.read("<|tool", ToolFormat.GRANITE)).isInstanceOf(ToolAnswer.Reading.Undecided.class);
    }

    @Test
    void renamingTouchesRuleNamesOnlyNotLiteralsClassesOrCounts() {
        String gbnf = "root ::= \"{\" space \"\\\"root\\\"\" space [a-z]{0,20} item # root again\nitem ::= \"space\" space\n"
                + "space ::= | \" \"\n";
        assertThat(ToolGrammar.renamed(gbnf, "t0-")).isEqualTo("t0-root ::= \"{\" t0-space \"\\\"root\\\"\" t0-space"
                + " [a-z]{0,20} t0-item # root again\nt0-item ::= \"space\" t0-space\nt0-space ::= | \" \"\n");
    }
}
