package io.micromesh.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one JSON mapper of the wire: strict on input (no comments, no NaN, no trailing garbage),
 * compact on output. Duplicate keys are not refused: the last one wins, as in OpenAI's own API, and
 * no ambiguity can reach a backend because backends get micromesh's re-serialized tree, never the
 * client's bytes. Thread-safe; share it.
 */
public final class Json {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {
    }

    /** The shared mapper. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** A new empty object node. */
    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /**
     * Parses a request body that must be one JSON object.
     *
     * @throws ApiException 400 naming what is wrong (empty body, invalid UTF-8, bad JSON, not an object)
     */
    public static ObjectNode parseObject(byte[] body) {
        if (body.length == 0) {
            throw ApiException.invalidRequest(null, "The request body is empty; send a JSON object.");
        }
        // JSON between systems is UTF-8 (RFC 8259); Jackson would also decode UTF-16 and UTF-32, which
        // a model server behind the gateway may not
        if (body.length >= 2 && (body[0] == 0 || body[1] == 0 || (body[0] & 0xff) == 0xfe || (body[0] & 0xff) == 0xff)) {
            throw ApiException.invalidRequest(null, "The request body is not UTF-8 (it looks like UTF-16 or UTF-32); send"
                    + " JSON encoded in UTF-8.");
        }
        JsonNode node;
        try (JsonParser parser = MAPPER.createParser(body)) {
            node = MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(parser);
            if (parser.nextToken() != null) {
                throw ApiException.invalidRequest(null, "The request body holds more than one JSON value.");
            }
        } catch (JsonProcessingException e) {
            throw ApiException.invalidRequest(null, "The request body is not valid JSON: " + problem(e));
        } catch (IOException e) {
            throw ApiException.invalidRequest(null, "The request body could not be read: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw ApiException.invalidRequest(null, "The request body must be a JSON object.");
        }
        return (ObjectNode) node;
    }

    /**
     * Jackson's account of a syntax error, without the library's own names (a class it binds to, a
     * setting that limits it), with where it is.
     */
    private static String problem(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse("");
        message = message.replaceAll("\\s*\\([^()]*`[^`]*`[^()]*\\)", "").replaceAll("`[^`]*`", "").strip();
        var at = e.getLocation();
        return Quote.clip(message.replaceAll("[.:,]\\s*$", ""), 200)
                + (at == null || at.getLineNr() < 1 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")") + ".";
    }

    /** Serializes a node to UTF-8 bytes. */
    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    /** Serializes a node to a string. */
    public static String string(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    /** One line of a JSON Lines file: its number (from 1) and its value. */
    public record Line(int number, JsonNode value) {
    }

    /**
     * The non-blank lines of a JSON Lines file (a small one: read whole), each parsed.
     *
     * @throws IllegalArgumentException naming the file, and the line that is not JSON
     */
    public static List<Line> lines(Path file) {
        List<String> text;
        try {
            text = Files.readAllLines(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
        List<Line> lines = new ArrayList<>();
        for (int i = 0; i < text.size(); i++) {
            if (text.get(i).isBlank()) {
                continue;
            }
            try {
                lines.add(new Line(i + 1, MAPPER.readTree(text.get(i))));
            } catch (IOException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + " is not JSON");
            }
        }
        return lines;
    }
}
