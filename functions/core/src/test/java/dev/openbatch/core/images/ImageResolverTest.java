package dev.openbatch.core.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.OpenAiError;
import dev.openbatch.core.fakes.ImageServer;
import dev.openbatch.core.fakes.TestImageResolvers;
import dev.openbatch.core.pipeline.RequestBody;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ImageResolverTest {

    private static final String CHAT = "/v1/chat/completions";
    private static final String RESPONSES = "/v1/responses";
    private static final String MODERATIONS = "/v1/moderations";

    private final byte[] png = TestImages.png(8, 4);
    private final byte[] jpeg = TestImages.jpeg(10, 6);
    private final byte[] gif = TestImages.gif(3, 3);
    private final TestImageResolvers.Objects objects = new TestImageResolvers.Objects();
    private final ImageServer server = new ImageServer();
    private ImageResolver resolver =
            TestImageResolvers.of(objects, ImageResolver.Limits.DEFAULT, "images", "owned:123456789012");

    ImageResolverTest() {
        objects.objects.put("images/cats/cat.png", png);
        objects.objects.put("images/notes.txt", "just text".getBytes());
        objects.objects.put("owned/dog.jpg", jpeg);
        objects.objects.put("forbidden/secret.png", png);
        server.serve("/bird.gif", gif);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String chat(String... parts) {
        return "{\"model\":\"m\",\"temperature\":0.2,\"x_extra\":{\"kept\":true},\"messages\":["
                + "{\"role\":\"system\",\"content\":\"You describe images.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"}"
                + (parts.length == 0 ? "" : "," + String.join(",", parts)) + "]}]}";
    }

    private static String image(String url) {
        return "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\",\"detail\":\"low\"}}";
    }

    private static String dataUri(String type, byte[] bytes) {
        return "data:" + type + ";base64," + Base64.getEncoder().encodeToString(bytes);
    }

    private JsonNode resolve(String endpoint, String body) throws InterruptedException {
        return sent(resolver.forChunk(), endpoint, json(body));
    }

    /** The body as the endpoint receives it. */
    private static JsonNode sent(ImageResolver.Chunk chunk, String endpoint, JsonNode body)
            throws InterruptedException {
        try {
            return Json.MAPPER.readTree(chunk.resolve(endpoint, body).bytes());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private OpenAiError.Detail failure(String endpoint, String body) {
        ApiException e = catchThrowableOfType(ApiException.class, () -> resolve(endpoint, body));
        assertThat(e).as("the line fails").isNotNull();
        assertThat(e.status()).isEqualTo(400);
        return e.envelope().error();
    }

    @Test
    void chatImages_fromS3HttpsAndData_becomeDataUris_inOrder_withEverythingElseUntouched() throws Exception {
        JsonNode sent = resolve(
                CHAT,
                chat(
                        image("s3://images/cats/cat.png"),
                        image(server.url("/bird.gif")),
                        image(dataUri("image/png", jpeg)),
                        image("s3://owned/dog.jpg")));

        JsonNode content = sent.at("/messages/1/content");
        assertThat(content.get(0).get("text").asText()).isEqualTo("What is this?");
        assertThat(content.get(1).at("/image_url/url").asText()).isEqualTo(dataUri("image/png", png));
        assertThat(content.get(2).at("/image_url/url").asText()).isEqualTo(dataUri("image/gif", gif));
        assertThat(content.get(3).at("/image_url/url").asText())
                .as("typed by its bytes, not its label")
                .isEqualTo(dataUri("image/jpeg", jpeg));
        assertThat(content.get(4).at("/image_url/url").asText()).isEqualTo(dataUri("image/jpeg", jpeg));
        assertThat(content.get(1).at("/image_url/detail").asText()).isEqualTo("low");
        assertThat(sent.at("/messages/0/content").asText()).isEqualTo("You describe images.");
        assertThat(sent.get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(sent.at("/x_extra/kept").asBoolean()).isTrue();
    }

    @Test
    void responsesInputImages_becomeDataUris() throws Exception {
        JsonNode sent = resolve(
                RESPONSES,
                "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":["
                        + "{\"type\":\"input_text\",\"text\":\"Describe\"},"
                        + "{\"type\":\"input_image\",\"image_url\":\"s3://images/cats/cat.png\",\"detail\":\"high\"}]}]}");

        assertThat(sent.at("/input/0/content/1/image_url").asText()).isEqualTo(dataUri("image/png", png));
        assertThat(sent.at("/input/0/content/1/detail").asText()).isEqualTo("high");
    }

    @Test
    void moderationInputImages_becomeDataUris_besideTheirText() throws Exception {
        JsonNode sent = resolve(
                MODERATIONS,
                "{\"model\":\"omni-moderation-latest\",\"input\":[{\"type\":\"text\",\"text\":\"is this ok?\"},"
                        + image("s3://images/cats/cat.png") + "]}");

        assertThat(sent.at("/input/0/text").asText()).isEqualTo("is this ok?");
        assertThat(sent.at("/input/1/image_url/url").asText()).isEqualTo(dataUri("image/png", png));
    }

    @Test
    void moderationInputs_asAStringOrStrings_areSentAsTheyCame() throws Exception {
        String one = "{\"model\":\"omni-moderation-latest\",\"input\":\"hello\"}";
        String many = "{\"model\":\"omni-moderation-latest\",\"input\":[\"a\",\"b\"]}";

        assertThat(resolve(MODERATIONS, one)).isEqualTo(json(one));
        assertThat(resolve(MODERATIONS, many)).isEqualTo(json(many));
    }

    @Test
    void aModerationWithoutInput_orWithAMalformedPart_failsWithOpenAisWording() {
        OpenAiError.Detail missing = failure(MODERATIONS, "{\"model\":\"omni-moderation-latest\"}");
        assertThat(missing.message()).isEqualTo("Missing required parameter: 'input'.");
        assertThat(missing.param()).isEqualTo("input");
        assertThat(missing.code()).isEqualTo("missing_required_parameter");

        OpenAiError.Detail unknown = failure(MODERATIONS, "{\"input\":[{\"type\":\"input_audio\"}]}");
        assertThat(unknown.message())
                .isEqualTo("Invalid value: 'input_audio'. Supported values are: 'text' and 'image_url'.");
        assertThat(unknown.param()).isEqualTo("input[0].type");

        OpenAiError.Detail number = failure(MODERATIONS, "{\"input\":42}");
        assertThat(number.message())
                .isEqualTo("Invalid type for 'input': expected a string or an array, but got an integer instead.");
    }

    @Test
    void requestsWithoutImages_areSentAsTheyCame() throws Exception {
        JsonNode body = json(chat());
        assertThat(resolver.forChunk().resolve(CHAT, body).segments()).hasSize(1);
        assertThat(sent(resolver.forChunk(), CHAT, body)).isEqualTo(body);
        JsonNode embeddings = json("{\"model\":\"e\",\"input\":[\"s3://images/cats/cat.png\"]}");
        assertThat(sent(resolver.forChunk(), "/v1/embeddings", embeddings)).isEqualTo(embeddings);
        assertThat(objects.reads).hasValue(0);
    }

    @Test
    void manyImages_areSplicedIntoTheBodyInTheirPlaces_withoutCopyingThem() throws Exception {
        String[] parts = new String[12];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = image(i % 2 == 0 ? "s3://images/cats/cat.png" : server.url("/bird.gif"));
        }
        ImageResolver.Chunk chunk = resolver.forChunk();
        RequestBody first = chunk.resolve(CHAT, json(chat(parts)));
        RequestBody second = chunk.resolve(CHAT, json(chat(parts)));

        JsonNode sent = Json.MAPPER.readTree(first.bytes());
        for (int i = 0; i < parts.length; i++) {
            assertThat(sent.at("/messages/1/content/" + (i + 1) + "/image_url/url")
                            .asText())
                    .isEqualTo(i % 2 == 0 ? dataUri("image/png", png) : dataUri("image/gif", gif));
        }
        assertThat(first.segments()).hasSize(2 * parts.length + 1);
        assertThat(second.segments().get(1))
                .as("the cached image itself, not a copy")
                .isSameAs(first.segments().get(1));
    }

    @Test
    void aUrlUsedByManyLinesOfAChunk_isFetchedOnce() throws Exception {
        ImageResolver.Chunk chunk = resolver.forChunk();
        for (int i = 0; i < 5; i++) {
            chunk.resolve(CHAT, json(chat(image("s3://images/cats/cat.png"), image(server.url("/bird.gif")))));
        }
        assertThat(objects.reads).hasValue(1);
        assertThat(server.requests("/bird.gif")).isEqualTo(1);

        resolver.forChunk().resolve(CHAT, json(chat(image("s3://images/cats/cat.png"))));
        assertThat(objects.reads).as("another chunk, another cache").hasValue(2);
    }

    @Test
    void theCache_forgetsTheOldestImagesBeyondItsBound() throws Exception {
        resolver = TestImageResolvers.of(
                objects, new ImageResolver.Limits(1 << 20, 1 << 20, png.length, 4), "images", "owned");
        ImageResolver.Chunk chunk = resolver.forChunk();
        chunk.resolve(CHAT, json(chat(image("s3://images/cats/cat.png"))));
        chunk.resolve(CHAT, json(chat(image("s3://owned/dog.jpg"))));
        chunk.resolve(CHAT, json(chat(image("s3://images/cats/cat.png"))));
        assertThat(objects.reads).hasValue(3);
    }

    @Test
    void anImageUrlGivenAsAString_inChat_failsWithOpenAisWording() {
        OpenAiError.Detail error = failure(
                CHAT,
                chat("{\"type\":\"image_url\",\"image_url\":\"s3://images/cats/cat.png\"}")
                        .replace(
                                "\"messages\":[{\"role\":\"system\",\"content\":\"You describe images.\"},",
                                "\"messages\":["));
        assertThat(error.message())
                .isEqualTo(
                        "Invalid type for 'messages[0].content[1].image_url': expected an object, but got a string instead.");
        assertThat(error.param()).isEqualTo("messages[0].content[1].image_url");
        assertThat(error.code()).isEqualTo("invalid_type");
        assertThat(error.type()).isEqualTo("invalid_request_error");
    }

    @Test
    void anUnknownPartTypeInChat_failsWithOpenAisWording() {
        OpenAiError.Detail error =
                failure(CHAT, chat("{\"type\":\"input_image\",\"image_url\":\"s3://images/cats/cat.png\"}"));
        assertThat(error.message())
                .isEqualTo("Invalid value: 'input_image'. Supported values are: 'text', 'image_url',"
                        + " 'input_audio', 'refusal', 'audio', and 'file'.");
        assertThat(error.param()).isEqualTo("messages[1].content[1].type");
        assertThat(error.code()).isEqualTo("invalid_value");
    }

    @Test
    void malformedParts_nameTheirPlace() {
        assertThat(failure(CHAT, chat("{\"type\":\"image_url\",\"image_url\":{}}"))
                        .message())
                .isEqualTo("Missing required parameter: 'messages[1].content[1].image_url.url'.");
        assertThat(failure(CHAT, chat("\"just a string\"")).message())
                .isEqualTo("Invalid type for 'messages[1].content[1]': expected an object, but got a string instead.");
        assertThat(failure(
                                RESPONSES,
                                "{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\","
                                        + "\"image_url\":{\"url\":\"s3://images/cats/cat.png\"}}]}]}")
                        .message())
                .isEqualTo(
                        "Invalid type for 'input[0].content[0].image_url': expected a string, but got an object instead.");
    }

    @Test
    void aBucketNotAllowed_failsTheLine_namingTheImageAndTheReason() {
        OpenAiError.Detail error =
                failure(CHAT, chat(image("s3://images/cats/cat.png"), image("s3://forbidden/secret.png")));
        assertThat(error.message())
                .isEqualTo("Error while downloading the image at messages[1].content[2]"
                        + " (s3://forbidden/secret.png): the bucket is not one this deployment may read images from.");
        assertThat(error.param()).isEqualTo("messages[1].content[2].image_url.url");
        assertThat(error.code()).isEqualTo("invalid_value");
        assertThat(objects.reads).as("the forbidden bucket is never asked").hasValue(1);
    }

    @Test
    void aMissingObject_aMissingPage_andBytesThatAreNoImage_eachFailWithTheirReason() {
        assertThat(failure(CHAT, chat(image("s3://images/cats/none.png"))).message())
                .endsWith("(s3://images/cats/none.png): the object does not exist.");
        server.status("/gone.png", 404);
        assertThat(failure(CHAT, chat(image(server.url("/gone.png")))).message())
                .endsWith("(" + server.url("/gone.png") + "): the server answered HTTP 404.");
        OpenAiError.Detail text = failure(CHAT, chat(image("s3://images/notes.txt")));
        assertThat(text.message())
                .isEqualTo("Invalid image: the image at messages[1].content[1] (s3://images/notes.txt)"
                        + " is not a supported image; the bytes are not a PNG, JPEG, GIF or WebP image.");
        assertThat(text.code()).isEqualTo("invalid_image_format");
    }

    @Test
    void badDataUris_failWithoutEchoingTheirData() {
        OpenAiError.Detail base64 = failure(CHAT, chat(image("data:image/png;base64,@@@not-base64@@@")));
        assertThat(base64.message())
                .isEqualTo("Invalid image data in the image at messages[1].content[1]"
                        + " (data:image/png;base64,...): the data: URI does not hold valid base64.");
        assertThat(failure(CHAT, chat(image("data:text/plain;base64,aGVsbG8="))).message())
                .endsWith("the data: URI's media type is not an image type.");
        assertThat(failure(CHAT, chat(image(dataUri("image/png", "hello".getBytes()))))
                        .code())
                .isEqualTo("invalid_image_format");
    }

    @Test
    void unsupportedSchemes_andCredentialsInUrls_fail_withoutShowingTheCredentials() {
        assertThat(failure(CHAT, chat(image("ftp://example.com/a.png"))).message())
                .endsWith("(ftp://example.com/a.png): only s3://, https:// and data: image URLs are supported.");
        OpenAiError.Detail userInfo = failure(CHAT, chat(image("https://user:secret@localhost/a.png")));
        assertThat(userInfo.message())
                .doesNotContain("secret")
                .doesNotContain("user:")
                .endsWith("(https://localhost/a.png): URLs with a user name or password are not fetched.");
    }

    @Test
    void imagesOverTheirBounds_fail() {
        resolver = TestImageResolvers.of(
                objects, new ImageResolver.Limits(png.length, png.length + jpeg.length, 1 << 20, 4), "images", "owned");
        assertThat(failure(CHAT, chat(image(dataUri("image/jpeg", TestImages.jpeg(300, 300)))))
                        .message())
                .endsWith("the image is larger than " + png.length + " bytes.");
        resolver = TestImageResolvers.of(
                objects, new ImageResolver.Limits(1 << 20, png.length + 10, 1 << 20, 4), "images");
        assertThat(failure(CHAT, chat(image("s3://images/cats/cat.png"), image("s3://images/cats/cat.png")))
                        .message())
                .startsWith("The images of this request add up to more than " + (png.length + 10) + " bytes");
    }
}
