package dev.openbatch.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.Json;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference endpoint's answers, in OpenAI's shapes. Each is a function of the request alone: ids come from
 * a SHA-256 of the request body and {@code created} is 0, so the same body always gets the same bytes back.
 *
 * <p>Built as JSON trees, not records: they are written once and read only by the client under test, and a
 * tree reads like the OpenAI reference it copies.
 */
final class Answers {

    private static final int DEFAULT_DIMENSIONS = 8;
    private static final int MAX_DIMENSIONS = 65_536;

    private Answers() {}

    /** A {@code chat.completion} whose one choice is the assistant describing what it received. */
    static ObjectNode chatCompletion(byte[] body, Received received) {
        String text = received.describe();
        ObjectNode answer = head("chatcmpl-" + idOf(body), "chat.completion", received);
        ObjectNode choice = answer.putArray("choices").addObject().put("index", 0);
        choice.putObject("message")
                .put("role", "assistant")
                .put("content", text)
                .putNull("refusal")
                .putArray("annotations");
        choice.putNull("logprobs").put("finish_reason", "stop");
        answer.set("usage", usage(received.words(), Received.words(text)));
        return withReceived(answer, received);
    }

    /** A {@code text_completion} with one choice per prompt, each describing the whole request. */
    static ObjectNode textCompletion(byte[] body, Received received) {
        String text = received.describe();
        ObjectNode answer = head("cmpl-" + idOf(body), "text_completion", received);
        ArrayNode choices = answer.putArray("choices");
        for (int i = 0; i < received.inputItems(); i++) {
            choices.addObject()
                    .put("text", text)
                    .put("index", i)
                    .putNull("logprobs")
                    .put("finish_reason", "stop");
        }
        answer.set("usage", usage(received.words(), received.inputItems() * Received.words(text)));
        return withReceived(answer, received);
    }

    /**
     * An embedding list: for each input a unit vector derived from the input's SHA-256, of the
     * {@code dimensions} asked for (8 by default), as floats or as base64 little-endian float32 per
     * {@code encoding_format}.
     */
    static ObjectNode embeddings(JsonNode request, Received received) {
        int dimensions = dimensions(request.path("dimensions"));
        boolean base64 = base64(request.path("encoding_format"));
        List<JsonNode> inputs = Received.inputs(request.path("input"), "input");
        ObjectNode answer = Json.MAPPER.createObjectNode().put("object", "list");
        ArrayNode data = answer.putArray("data");
        for (int i = 0; i < inputs.size(); i++) {
            JsonNode input = inputs.get(i);
            byte[] bytes = input.isTextual() ? input.asText().getBytes(StandardCharsets.UTF_8) : Json.write(input);
            float[] vector = unitVector(bytes, dimensions);
            ObjectNode embedding = data.addObject().put("object", "embedding").put("index", i);
            if (base64) {
                embedding.put("embedding", float32LittleEndianBase64(vector));
            } else {
                ArrayNode values = embedding.putArray("embedding");
                for (float value : vector) {
                    values.add(value);
                }
            }
        }
        answer.put("model", received.model());
        answer.putObject("usage").put("prompt_tokens", received.words()).put("total_tokens", received.words());
        return withReceived(answer, received);
    }

    /** A completed {@code response} whose one output message is the assistant describing what it received. */
    static ObjectNode response(byte[] body, JsonNode request, Received received) {
        String id = idOf(body);
        String text = received.describe();
        ObjectNode answer = Json.MAPPER
                .createObjectNode()
                .put("id", "resp_" + id)
                .put("object", "response")
                .put("created_at", 0)
                .put("status", "completed")
                .putNull("error")
                .putNull("incomplete_details")
                .put("model", received.model());
        ObjectNode message = answer.putArray("output")
                .addObject()
                .put("type", "message")
                .put("id", "msg_" + id)
                .put("status", "completed")
                .put("role", "assistant");
        message.putArray("content")
                .addObject()
                .put("type", "output_text")
                .put("text", text)
                .putArray("annotations");
        // A response restates the settings it ran with: the request's, or OpenAI's default where it set none.
        answer.set("instructions", request.path("instructions").isTextual() ? request.get("instructions") : null);
        answer.set(
                "metadata",
                request.path("metadata").isObject() ? request.get("metadata") : Json.MAPPER.createObjectNode());
        answer.put("parallel_tool_calls", request.path("parallel_tool_calls").asBoolean(true));
        answer.set("temperature", request.path("temperature").isNumber() ? request.get("temperature") : null);
        answer.set(
                "tool_choice",
                request.hasNonNull("tool_choice")
                        ? request.get("tool_choice")
                        : Json.MAPPER.getNodeFactory().textNode("auto"));
        answer.set("tools", request.path("tools").isArray() ? request.get("tools") : Json.MAPPER.createArrayNode());
        answer.set("top_p", request.path("top_p").isNumber() ? request.get("top_p") : null);
        long output = Received.words(text);
        ObjectNode usage = answer.putObject("usage").put("input_tokens", received.words());
        usage.putObject("input_tokens_details").put("cached_tokens", 0).put("cache_write_tokens", 0);
        usage.put("output_tokens", output);
        usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
        usage.put("total_tokens", received.words() + output);
        return withReceived(answer, received);
    }

    /**
     * OpenAI's moderation categories, in the order its reference lists them, and whether each is
     * judged on images as well as text ({@code category_applied_input_types}).
     */
    private static final Map<String, Boolean> MODERATION_CATEGORIES = moderationCategories();

    private static Map<String, Boolean> moderationCategories() {
        Map<String, Boolean> categories = new LinkedHashMap<>();
        categories.put("harassment", false);
        categories.put("harassment/threatening", false);
        categories.put("hate", false);
        categories.put("hate/threatening", false);
        categories.put("illicit", false);
        categories.put("illicit/violent", false);
        categories.put("self-harm", true);
        categories.put("self-harm/intent", true);
        categories.put("self-harm/instructions", true);
        categories.put("sexual", true);
        categories.put("sexual/minors", false);
        categories.put("violence", true);
        categories.put("violence/graphic", true);
        return Collections.unmodifiableMap(categories);
    }

    /**
     * A moderation: one result for a string or a multimodal array (text and images judged together),
     * one per string for an array of strings. Nothing is judged: every score is a small number derived
     * from the input's SHA-256, and a category is flagged (score 1) only when the text asks for it with
     * {@code [flag:<category>]}, so tests can write lines that are flagged. No usage: OpenAI's
     * moderations report none.
     */
    static ObjectNode moderation(byte[] body, JsonNode request, Received received) {
        JsonNode input = request.path("input");
        List<JsonNode> judged = new ArrayList<>();
        boolean strings = input.isArray() && !input.isEmpty() && input.get(0).isTextual();
        if (strings) {
            input.forEach(judged::add);
        } else {
            judged.add(input);
        }
        ObjectNode answer =
                Json.MAPPER.createObjectNode().put("id", "modr-" + idOf(body)).put("model", received.model());
        ArrayNode results = answer.putArray("results");
        for (JsonNode item : judged) {
            String text = item.isTextual() ? item.asText() : texts(item);
            boolean image = !item.isTextual() && hasImage(item);
            byte[] digest = Sha256.of(Json.write(item));
            ObjectNode result = results.addObject();
            ObjectNode categories = Json.MAPPER.createObjectNode();
            ObjectNode scores = Json.MAPPER.createObjectNode();
            ObjectNode applied = Json.MAPPER.createObjectNode();
            boolean flagged = false;
            int i = 0;
            for (Map.Entry<String, Boolean> category : MODERATION_CATEGORIES.entrySet()) {
                boolean asked = text.contains("[flag:" + category.getKey() + "]");
                flagged |= asked;
                categories.put(category.getKey(), asked);
                scores.put(category.getKey(), asked ? 1.0 : (digest[i++] & 0xff) / 100_000.0);
                ArrayNode types = applied.putArray(category.getKey());
                if (!text.isEmpty() || !image) {
                    types.add("text");
                }
                if (image && category.getValue()) {
                    types.add("image");
                }
            }
            result.put("flagged", flagged);
            result.set("categories", categories);
            result.set("category_scores", scores);
            result.set("category_applied_input_types", applied);
        }
        return withReceived(answer, received);
    }

    private static String texts(JsonNode parts) {
        StringBuilder text = new StringBuilder();
        for (JsonNode part : parts) {
            if (part.path("type").asText().equals("text")) {
                text.append(part.path("text").asText()).append('\n');
            }
        }
        return text.toString();
    }

    private static boolean hasImage(JsonNode parts) {
        for (JsonNode part : parts) {
            if (part.path("type").asText().equals("image_url")) {
                return true;
            }
        }
        return false;
    }

    private static ObjectNode head(String id, String object, Received received) {
        return Json.MAPPER
                .createObjectNode()
                .put("id", id)
                .put("object", object)
                .put("created", 0)
                .put("model", received.model());
    }

    private static ObjectNode usage(long prompt, long completion) {
        return Json.MAPPER
                .createObjectNode()
                .put("prompt_tokens", prompt)
                .put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
    }

    private static ObjectNode withReceived(ObjectNode answer, Received received) {
        answer.set("received", Json.MAPPER.valueToTree(received));
        return answer;
    }

    private static String idOf(byte[] body) {
        return Sha256.hex(body).substring(0, 24);
    }

    private static int dimensions(JsonNode dimensions) {
        if (dimensions.isMissingNode() || dimensions.isNull()) {
            return DEFAULT_DIMENSIONS;
        }
        if (!dimensions.isIntegralNumber() || dimensions.asLong() < 1 || dimensions.asLong() > MAX_DIMENSIONS) {
            throw Refusal.invalidRequest(
                    "'dimensions' must be an integer from 1 to " + MAX_DIMENSIONS + ".", "dimensions");
        }
        return dimensions.asInt();
    }

    private static boolean base64(JsonNode encodingFormat) {
        return switch (encodingFormat.isMissingNode() || encodingFormat.isNull() ? "float" : encodingFormat.asText()) {
            case "float" -> false;
            case "base64" -> true;
            default ->
                throw Refusal.invalidRequest("'encoding_format' must be 'float' or 'base64'.", "encoding_format");
        };
    }

    /**
     * Components are successive signed 32-bit integers from SHA-256(SHA-256(input) || block number), then the
     * vector is scaled to length 1, as embedding models' vectors are.
     */
    static float[] unitVector(byte[] input, int dimensions) {
        byte[] seed = Sha256.of(input);
        double[] raw = new double[dimensions];
        ByteBuffer block = ByteBuffer.allocate(0);
        for (int i = 0; i < dimensions; i++) {
            if (!block.hasRemaining()) {
                block = ByteBuffer.wrap(Sha256.of(ByteBuffer.allocate(seed.length + Integer.BYTES)
                        .put(seed)
                        .putInt(i / 8)
                        .array()));
            }
            raw[i] = block.getInt();
        }
        double norm = Math.sqrt(Arrays.stream(raw).map(x -> x * x).sum());
        float[] unit = new float[dimensions];
        for (int i = 0; i < dimensions; i++) {
            unit[i] = (float) (raw[i] / norm);
        }
        return unit;
    }

    private static String float32LittleEndianBase64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : vector) {
            bytes.putFloat(value);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
