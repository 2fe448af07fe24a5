package io.micromesh.engines.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import de.kherud.llama.LlamaModel;
import io.micromesh.api.Json;
import io.micromesh.core.MeshException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 16: a JSON schema that llama.cpp's converter cannot take aborted the engine worker. Every
 * schema the guard lets through is converted by the real llama.cpp here, in this JVM: a schema that
 * slipped through and crashed it would end the test run.
 */
class GrammarSchemaTest {

    private static JsonNode schema(String json) {
        return Json.parseObject(json.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\": \"object\", \"properties\": {\"urgent\": {\"type\": \"string\", \"enum\": [\"yes\", \"no\"]},"
                    + " \"priority\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 3}}, \"required\": [\"urgent\"],"
                    + " \"additionalProperties\": false}",
            "{\"$defs\": {\"Address\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}},"
                    + " \"type\": \"object\", \"properties\": {\"home\": {\"$ref\": \"#/$defs/Address\"}}}",
            "{\"type\": \"array\", \"items\": {\"type\": [\"string\", \"null\"]}, \"minItems\": 1, \"maxItems\": 5}",
            "{\"type\": \"string\", \"pattern\": \"^[A-Z]{2}-[0-9]{4,6}$\"}",
            "{\"type\": \"string\", \"pattern\": \"^(yes|no|maybe)\\\\?$\"}",
            "{\"type\": \"string\", \"pattern\": \"^[a-z]+( [a-z]+)*$\"}",
            "{\"type\": \"string\", \"format\": \"date-time\", \"description\": \"when\"}",
            "{\"type\": \"string\", \"minLength\": 2, \"maxLength\": 4096}",
            "{\"anyOf\": [{\"type\": \"number\"}, {\"const\": \"none\"}]}",
            "{\"allOf\": [{\"properties\": {\"a\": {\"type\": \"boolean\"}}}], \"title\": \"t\"}",
            "{\"type\": \"array\", \"prefixItems\": [{\"type\": \"string\"}, {\"type\": \"number\"}]}",
            "{}",
    })
    void aSchemaTheGuardAcceptsIsOneLlamaCppConverts(String json) {
        JsonNode schema = schema(json);
        assertThatCode(() -> GrammarSchema.check(schema, "schema")).doesNotThrowAnyException();
        assertThat(LlamaModel.jsonSchemaToGrammar(json)).contains("root ::=");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            // the reproductions of issue 16, each of which aborted a worker
            "an unknown type ; {\"type\": \"banana\"} ; schema.type ; 'banana' is not a JSON schema type",
            "a reference to nowhere ; {\"properties\": {\"a\": {\"$ref\": \"#/$defs/Nope\"}}} ; schema.properties.a.$ref ; points to nothing",
            "a reference to a URL ; {\"$ref\": \"https://example.com/s.json\"} ; schema.$ref ; only local references",
            "a number as text ; {\"type\": \"integer\", \"minimum\": \"3\"} ; schema.minimum ; must be a number",
            "an unanchored pattern ; {\"type\": \"string\", \"pattern\": \"[a-z]+\"} ; schema.pattern ; anchored at both ends",
            "an invalid pattern ; {\"type\": \"string\", \"pattern\": \"^([a-z]$\"} ; schema.pattern ; unclosed '('",
            // the rest of the class
            "a quantifier with nothing to repeat ; {\"pattern\": \"^*a$\"} ; schema.pattern ; repeats nothing",
            "a stray bracket, which hangs the converter ; {\"pattern\": \"^a]b$\"} ; schema.pattern ; has nothing to close",
            "an escape the grammar cannot parse ; {\"pattern\": \"^\\\\d+$\"} ; schema.pattern ; [0-9] for \\d",
            "a lookahead ; {\"pattern\": \"^(?=a)a$\"} ; schema.pattern ; uses '(?'",
            "a lazy quantifier ; {\"pattern\": \"^a+?$\"} ; schema.pattern ; lazy and possessive",
            "an empty alternative ; {\"pattern\": \"^(a|)$\"} ; schema.pattern ; empty alternative",
            "a huge repetition ; {\"pattern\": \"^a{1,99999999999}$\"} ; schema.pattern ; not a count",
            "a repetition counting down ; {\"pattern\": \"^a{5,2}$\"} ; schema.pattern ; counts down",
            "a huge maxLength ; {\"type\": \"string\", \"maxLength\": 1000000000} ; schema.maxLength ; from 0 to 4096",
            "a fractional minItems ; {\"type\": \"array\", \"items\": {}, \"minItems\": 1.5} ; schema.minItems ; whole number",
            "a format that is not text ; {\"type\": \"string\", \"format\": 7} ; schema.format ; must be a text",
            "a property schema that is not an object ; {\"properties\": {\"a\": \"string\"}} ; schema.properties.a ; must be an object",
            "an empty anyOf ; {\"anyOf\": []} ; schema.anyOf ; non-empty list",
            "required names that are not text ; {\"required\": [1]} ; schema.required ; list of property names",
            "an unknown keyword ; {\"type\": \"object\", \"patternProperties\": {}} ; schema.patternProperties ; not supported",
    })
    void aSchemaLlamaCppCannotTakeIsAnInvalidRequestNamingThePart(String what, String json, String param, String message) {
        assertThatThrownBy(() -> GrammarSchema.check(schema(json), "schema"))
                .as(what)
                .isInstanceOfSatisfying(MeshException.class, e -> {
                    assertThat(e.failure()).isEqualTo(MeshException.Failure.INVALID_REQUEST);
                    assertThat(e.param()).hasValue(param);
                    assertThat(e.code()).hasValue("invalid_json_schema");
                    assertThat(e.getMessage()).contains(message);
                });
    }

    @org.junit.jupiter.api.Test
    void deepAndLargeSchemasAreRefusedBeforeTheConverterRecursesThroughThem() {
        String deep = "{\"type\": \"object\", \"properties\": {\"a\": ".repeat(40) + "{}" + "}}".repeat(40);
        assertThatThrownBy(() -> GrammarSchema.check(schema(deep), "schema")).hasMessageContaining("32 levels");
        StringBuilder wide = new StringBuilder("{\"type\": \"object\", \"properties\": {");
        for (int i = 0; i < 2_500; i++) {
            wide.append(i == 0 ? "" : ", ").append("\"p").append(i).append("\": {\"type\": \"string\"}");
        }
        wide.append("}}");
        assertThatThrownBy(() -> GrammarSchema.check(schema(wide.toString()), "schema")).hasMessageContaining("2000 parts");
    }

    @org.junit.jupiter.api.Test
    void aLongValueIsClippedInTheMessage() {
        String type = "x".repeat(100_000);
        assertThatThrownBy(() -> GrammarSchema.check(schema("{\"type\": \"" + type + "\"}"), "schema"))
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400));
    }
}
