package dev.openbatch.reference;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * What one request carried, as the reference endpoint reports it back in {@code "received"} and in its answer text.
 *
 * @param model          the {@code model} asked for
 * @param messages       chat: how many messages
 * @param inputItems     responses: items of {@code input}; completions: prompts; embeddings and moderations: inputs
 * @param textParts      every piece of text: a string content or text part, instructions, a prompt, an input
 * @param textCharacters the characters (code points) of all text parts together
 * @param words          whitespace-separated words of all text parts: the endpoint's prompt token count
 * @param images         every image, in the order received
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record Received(
        @JsonProperty("model") String model,
        @JsonProperty("messages") Integer messages,
        @JsonProperty("input_items") Integer inputItems,
        @JsonProperty("text_parts") int textParts,
        @JsonProperty("text_characters") long textCharacters,
        @JsonProperty("words") long words,
        @JsonProperty("images") List<ReceivedImage> images) {

    Received {
        images = List.copyOf(images);
    }

    /** A chat completions request: string contents, and content parts of type text and image_url. */
    static Received fromChat(JsonNode request) {
        String model = model(request);
        JsonNode messages = request.path("messages");
        if (!messages.isArray() || messages.isEmpty()) {
            throw Refusal.invalidRequest("'messages' must be a non-empty array.", "messages");
        }
        Tally tally = new Tally();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode content = messages.get(i).path("content");
            String where = "messages[" + i + "].content";
            if (content.isTextual()) {
                tally.text(content.asText());
            } else if (content.isArray()) {
                for (int j = 0; j < content.size(); j++) {
                    JsonNode part = content.get(j);
                    switch (part.path("type").asText()) {
                        case "text" -> tally.text(part.path("text").asText());
                        case "image_url" -> {
                            JsonNode image = part.path("image_url");
                            String url = image.isTextual()
                                    ? image.asText()
                                    : image.path("url").textValue();
                            tally.image(url, image.path("detail").textValue(), where + "[" + j + "].image_url.url");
                        }
                        default -> {} // audio, files, refusals: not described, and nothing claimed about them
                    }
                }
            }
        }
        return tally.received(model, messages.size(), null);
    }

    /** A responses request: instructions, and an input that is a string or a list of items with content parts. */
    static Received fromResponses(JsonNode request) {
        String model = model(request);
        Tally tally = new Tally();
        if (request.path("instructions").isTextual()) {
            tally.text(request.path("instructions").asText());
        }
        JsonNode input = request.path("input");
        if (input.isTextual()) {
            tally.text(input.asText());
            return tally.received(model, null, 1);
        }
        if (!input.isArray()) {
            throw Refusal.invalidRequest("'input' must be a string or an array of input items.", "input");
        }
        for (int i = 0; i < input.size(); i++) {
            JsonNode content = input.get(i).path("content");
            if (content.isTextual()) {
                tally.text(content.asText());
            } else if (content.isArray()) {
                for (int j = 0; j < content.size(); j++) {
                    JsonNode part = content.get(j);
                    switch (part.path("type").asText()) {
                        case "input_text", "output_text" ->
                            tally.text(part.path("text").asText());
                        case "input_image" ->
                            tally.image(
                                    part.path("image_url").textValue(),
                                    part.path("detail").textValue(),
                                    "input[" + i + "].content[" + j + "].image_url");
                        default -> {} // files and audio: not described, and nothing claimed about them
                    }
                }
            }
        }
        return tally.received(model, null, input.size());
    }

    /**
     * A moderations request: an {@code input} that is a string, an array of strings, or an array of
     * {@code text} and {@code image_url} parts; {@code model} is optional, as OpenAI's is.
     */
    static Received fromModerations(JsonNode request) {
        String model = request.path("model").isTextual() ? request.get("model").asText() : DEFAULT_MODERATION_MODEL;
        JsonNode input = request.path("input");
        Tally tally = new Tally();
        if (input.isTextual()) {
            tally.text(input.asText());
            return tally.received(model, null, 1);
        }
        if (!input.isArray() || input.isEmpty()) {
            throw Refusal.invalidRequest("'input' must be a string or a non-empty array.", "input");
        }
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if (item.isTextual()) {
                tally.text(item.asText());
            } else if (item.path("type").asText().equals("text")) {
                tally.text(item.path("text").asText());
            } else if (item.path("type").asText().equals("image_url")) {
                tally.image(item.path("image_url").path("url").textValue(), null, "input[" + i + "].image_url.url");
            } else {
                throw Refusal.invalidRequest(
                        "Each item of 'input' must be a string, a text part or an image_url part.", "input");
            }
        }
        return tally.received(model, null, input.size());
    }

    /** What OpenAI's moderations answer with when a request names no model. */
    static final String DEFAULT_MODERATION_MODEL = "omni-moderation-latest";

    /** A completions request: its prompts. */
    static Received fromCompletions(JsonNode request) {
        return fromTextInputs(request, "prompt");
    }

    /** An embeddings request: its inputs. */
    static Received fromEmbeddings(JsonNode request) {
        return fromTextInputs(request, "input");
    }

    private static Received fromTextInputs(JsonNode request, String field) {
        String model = model(request);
        List<JsonNode> items = inputs(request.path(field), field);
        Tally tally = new Tally();
        items.stream().filter(JsonNode::isTextual).forEach(item -> tally.text(item.asText()));
        return tally.received(model, null, items.size());
    }

    /**
     * The items of a prompt or embeddings input, which OpenAI lets be a string, an array of token ids (one
     * item), or an array of either.
     */
    static List<JsonNode> inputs(JsonNode input, String field) {
        if (input.isTextual() || isTokenArray(input)) {
            return List.of(input);
        }
        if (input.isArray() && !input.isEmpty()) {
            List<JsonNode> items = new ArrayList<>();
            for (JsonNode item : input) {
                if (!item.isTextual() && !isTokenArray(item)) {
                    throw Refusal.invalidRequest(
                            "Each item of '" + field + "' must be a string or an array of" + " token ids.", field);
                }
                items.add(item);
            }
            return items;
        }
        throw Refusal.invalidRequest("'" + field + "' must be a non-empty string or array.", field);
    }

    private static boolean isTokenArray(JsonNode node) {
        return node.isArray()
                && !node.isEmpty()
                && IntStream.range(0, node.size()).allMatch(i -> node.get(i).isIntegralNumber());
    }

    private static String model(JsonNode request) {
        JsonNode model = request.path("model");
        if (!model.isTextual() || model.asText().isBlank()) {
            throw Refusal.invalidRequest("You must provide a model parameter.", "model");
        }
        return model.asText();
    }

    /** Whitespace-separated words: the endpoint's stand-in for a tokenizer, deterministic and explainable. */
    static long words(String text) {
        String trimmed = text.strip();
        return trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
    }

    /** The assistant text: the same facts as the {@code "received"} field, in a sentence. */
    String describe() {
        StringBuilder text = new StringBuilder("Reference endpoint received model ")
                .append(model)
                .append(": ");
        if (messages != null) {
            text.append(count(messages, "message")).append(", ");
        }
        if (inputItems != null) {
            text.append(count(inputItems, "input item")).append(", ");
        }
        text.append(count(textParts, "text part"))
                .append(" (")
                .append(count(textCharacters, "character"))
                .append(", ")
                .append(count(words, "word"))
                .append("), ")
                .append(count(images.size(), "image"));
        for (int i = 0; i < images.size(); i++) {
            text.append(i == 0 ? ": " : "; ")
                    .append('[')
                    .append(i + 1)
                    .append("] ")
                    .append(images.get(i).describe());
        }
        return text.append('.').toString();
    }

    private static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** Adds up text and images as a request is walked. */
    private static final class Tally {
        private int textParts;
        private long characters;
        private long words;
        private final List<ReceivedImage> images = new ArrayList<>();

        void text(String text) {
            textParts++;
            characters += text.codePointCount(0, text.length());
            words += words(text);
        }

        void image(String url, String detail, String param) {
            images.add(ReceivedImage.fromUrl(url, detail, param));
        }

        Received received(String model, Integer messages, Integer inputItems) {
            return new Received(model, messages, inputItems, textParts, characters, words, images);
        }
    }
}
