package dev.openbatch.core;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/** The one JSON mapper of the service, configured once. */
public final class Json {

    /**
     * Unknown properties are ignored so a newer client's extra fields never break a request;
     * the service reads what it understands and passes request bodies through as trees.
     */
    public static final JsonMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private Json() {}

    /**
     * Parses bytes that must hold one JSON value and nothing after it but whitespace. The mapper's
     * own {@code readTree} stops at the end of the first value, so {@code {…} {…}} or {@code {…} junk}
     * would pass as the first object alone. Nesting deeper than Jackson's limit (1000) is refused by
     * the parser. Answers null when there is no value at all.
     */
    public static JsonNode readWhole(byte[] bytes) throws IOException {
        try (JsonParser parser = MAPPER.createParser(bytes)) {
            JsonNode node = MAPPER.readTree(parser);
            if (node != null && parser.nextToken() != null) {
                throw new JsonParseException(parser, "Unexpected content after the JSON value");
            }
            return node;
        }
    }

    /** How OpenAI's messages name a JSON value's type: "a string", "an integer", "an array", ... */
    public static String describeType(JsonNode value) {
        if (value == null || value.isNull()) {
            return "null";
        }
        return value.isTextual()
                ? "a string"
                : value.isIntegralNumber()
                        ? "an integer"
                        : value.isNumber()
                                ? "a decimal"
                                : value.isBoolean() ? "a boolean" : value.isArray() ? "an array" : "an object";
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    public static String writeString(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }
}
