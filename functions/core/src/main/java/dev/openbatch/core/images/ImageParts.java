package dev.openbatch.core.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The image parts of a request body, found where each endpoint carries them — chat completions'
 * {@code messages[].content[]} parts of type {@code image_url}, responses' {@code input[].content[]}
 * parts of type {@code input_image}, moderations' {@code input[]} parts of type {@code image_url} —
 * with the content parts' shapes checked and refused in
 * OpenAI's words. Everything else in the body is the model's business and passes untouched.
 */
final class ImageParts {

    /**
     * One image of a request.
     *
     * @param where   the part, as OpenAI names it: {@code messages[0].content[1]}
     * @param param   the field that holds the URL: {@code messages[0].content[1].image_url.url}
     * @param url     the URL as given
     * @param replace puts another URL in its place
     */
    record Part(String where, String param, String url, Consumer<String> replace) {}

    private static final List<String> CHAT_PART_TYPES =
            List.of("text", "image_url", "input_audio", "refusal", "audio", "file");
    private static final List<String> RESPONSES_PART_TYPES =
            List.of("input_text", "input_image", "input_file", "input_audio", "output_text", "refusal");

    private ImageParts() {}

    private static final List<String> MODERATION_PART_TYPES = List.of("text", "image_url");

    /** Whether requests to this endpoint can carry images at all. */
    static boolean carriesImages(String endpoint) {
        return endpoint.equals("/v1/chat/completions")
                || endpoint.equals("/v1/responses")
                || endpoint.equals(MODERATIONS);
    }

    static final String MODERATIONS = "/v1/moderations";

    /**
     * The body's images, in order.
     *
     * @throws ApiException a 400 for the first malformed content part
     */
    static List<Part> of(String endpoint, JsonNode body) {
        List<Part> parts = new ArrayList<>();
        if (endpoint.equals("/v1/chat/completions")) {
            forEachPart(body.get("messages"), "messages", CHAT_PART_TYPES, (where, part) -> {
                if (part.path("type").asText().equals("image_url")) {
                    parts.add(chatImage(where, part));
                }
            });
        } else if (endpoint.equals(MODERATIONS)) {
            moderationInput(body.get("input"), parts);
        } else if (endpoint.equals("/v1/responses")) {
            forEachPart(body.get("input"), "input", RESPONSES_PART_TYPES, (where, part) -> {
                if (part.path("type").asText().equals("input_image")) {
                    parts.add(responsesImage(where, part));
                }
            });
        }
        return parts;
    }

    private interface PartVisitor {
        void visit(String where, ObjectNode part);
    }

    /** Visits every content part of every message whose {@code content} is an array; text contents have none. */
    private static void forEachPart(JsonNode messages, String name, List<String> types, PartVisitor visitor) {
        if (messages == null || !messages.isArray()) {
            return;
        }
        for (int i = 0; i < messages.size(); i++) {
            JsonNode content = messages.get(i).get("content");
            if (content == null || !content.isArray()) {
                continue;
            }
            for (int j = 0; j < content.size(); j++) {
                String where = name + "[" + i + "].content[" + j + "]";
                JsonNode part = content.get(j);
                if (!part.isObject()) {
                    throw invalidType(where, "an object", part);
                }
                JsonNode type = part.get("type");
                if (type == null) {
                    throw ApiException.missing(where + ".type");
                }
                if (!type.isTextual()) {
                    throw invalidType(where + ".type", "a string", type);
                }
                if (!types.contains(type.textValue())) {
                    throw ApiException.invalid(
                            "Invalid value: '" + type.textValue() + "'. Supported values are: " + choices(types) + ".",
                            where + ".type",
                            "invalid_value");
                }
                visitor.visit(where, (ObjectNode) part);
            }
        }
    }

    /**
     * A moderation's {@code input}, as OpenAI's moderation API takes it: a string, an array of strings,
     * or an array of parts {@code {"type": "text", "text": ...}} and
     * {@code {"type": "image_url", "image_url": {"url": ...}}}. Required, since without it there is
     * nothing to moderate.
     */
    private static void moderationInput(JsonNode input, List<Part> parts) {
        if (input == null || input.isNull()) {
            throw ApiException.missing("input");
        }
        if (input.isTextual()) {
            return;
        }
        if (!input.isArray()) {
            throw invalidType("input", "a string or an array", input);
        }
        for (int i = 0; i < input.size(); i++) {
            String where = "input[" + i + "]";
            JsonNode item = input.get(i);
            if (item.isTextual()) {
                continue;
            }
            if (!item.isObject()) {
                throw invalidType(where, "a string or an object", item);
            }
            JsonNode type = item.get("type");
            if (type == null) {
                throw ApiException.missing(where + ".type");
            }
            if (!type.isTextual()) {
                throw invalidType(where + ".type", "a string", type);
            }
            if (!MODERATION_PART_TYPES.contains(type.textValue())) {
                throw ApiException.invalid(
                        "Invalid value: '" + type.textValue() + "'. Supported values are: "
                                + choices(MODERATION_PART_TYPES) + ".",
                        where + ".type",
                        "invalid_value");
            }
            if (type.textValue().equals("image_url")) {
                parts.add(chatImage(where, (ObjectNode) item));
            } else if (!item.path("text").isTextual()) {
                throw item.get("text") == null
                        ? ApiException.missing(where + ".text")
                        : invalidType(where + ".text", "a string", item.get("text"));
            }
        }
    }

    /** {@code {"type": "image_url", "image_url": {"url": "...", "detail": "..."}}} */
    private static Part chatImage(String where, ObjectNode part) {
        JsonNode image = part.get("image_url");
        if (image == null) {
            throw ApiException.missing(where + ".image_url");
        }
        if (!image.isObject()) {
            throw invalidType(where + ".image_url", "an object", image);
        }
        JsonNode url = image.get("url");
        if (url == null) {
            throw ApiException.missing(where + ".image_url.url");
        }
        if (!url.isTextual()) {
            throw invalidType(where + ".image_url.url", "a string", url);
        }
        return new Part(where, where + ".image_url.url", url.textValue(), v -> ((ObjectNode) image).put("url", v));
    }

    /** {@code {"type": "input_image", "image_url": "...", "detail": "..."}} */
    private static Part responsesImage(String where, ObjectNode part) {
        JsonNode url = part.get("image_url");
        if (url == null && part.has("file_id")) {
            throw ApiException.invalid(
                    "Images by file_id are not supported here: give 'image_url' as an s3://,"
                            + " https:// or data: URL.",
                    where + ".file_id",
                    "invalid_value");
        }
        if (url == null) {
            throw ApiException.missing(where + ".image_url");
        }
        if (!url.isTextual()) {
            throw invalidType(where + ".image_url", "a string", url);
        }
        return new Part(where, where + ".image_url", url.textValue(), v -> part.put("image_url", v));
    }

    private static ApiException invalidType(String param, String expected, JsonNode actual) {
        return ApiException.invalid(
                "Invalid type for '" + param + "': expected " + expected + ", but got " + Json.describeType(actual)
                        + " instead.",
                param,
                "invalid_type");
    }

    /** {@code 'a', 'b', and 'c'}, as OpenAI lists them. */
    private static String choices(List<String> values) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                text.append(i == values.size() - 1 ? (values.size() > 2 ? ", and " : " and ") : ", ");
            }
            text.append('\'').append(values.get(i)).append('\'');
        }
        return text.toString();
    }
}
