package dev.openbatch.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.Json;
import java.io.IOException;
import java.util.Iterator;
import java.util.Set;

/**
 * A JSON request body, which must be an object of known parameters, read as OpenAI reads one: each
 * refusal names the parameter at fault in OpenAI's words.
 */
public final class JsonBody {

    private final JsonNode object;

    private JsonBody(JsonNode object) {
        this.object = object;
    }

    /** Parses the body; anything but a JSON object, or a parameter not in {@code parameters}, is a 400. */
    public static JsonBody parse(byte[] body, Set<String> parameters) {
        JsonNode node;
        try {
            node = Json.readWhole(body);
        } catch (IOException e) {
            node = null;
        }
        if (node == null || node.isMissingNode() || !node.isObject()) {
            throw ApiException.invalid(
                    "We could not parse the JSON body of your request. The API expects a JSON "
                            + "object as the payload, but what was sent was not valid JSON.",
                    null,
                    "invalid_json");
        }
        return of((ObjectNode) node, parameters);
    }

    /** A body already parsed (or built to be checked as one); a parameter not in {@code parameters} is a 400. */
    public static JsonBody of(ObjectNode node, Set<String> parameters) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!parameters.contains(name)) {
                throw ApiException.invalid(
                        "Unrecognized request argument supplied: " + name, name, "unknown_parameter");
            }
        }
        return new JsonBody(node);
    }

    /** The parameter's value; null when it is absent or null. */
    public JsonNode get(String name) {
        JsonNode node = object.get(name);
        return node == null || node.isNull() ? null : node;
    }

    public String requiredString(String name) {
        String value = optionalString(name);
        if (value == null) {
            throw ApiException.missing(name);
        }
        return value;
    }

    public String optionalString(String name) {
        JsonNode node = get(name);
        if (node == null) {
            return null;
        }
        if (!node.isTextual()) {
            throw invalidType(name, "a string", node);
        }
        return node.textValue();
    }

    public long requiredInteger(String name) {
        JsonNode node = get(name);
        if (node == null) {
            throw ApiException.missing(name);
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw invalidType(name, "an integer", node);
        }
        return node.longValue();
    }

    public static ApiException invalidType(String param, String expected, JsonNode got) {
        return ApiException.invalid(
                "Invalid type for '" + param + "': expected " + expected + ", but got " + Json.describeType(got)
                        + " instead.",
                param,
                "invalid_type");
    }
}
