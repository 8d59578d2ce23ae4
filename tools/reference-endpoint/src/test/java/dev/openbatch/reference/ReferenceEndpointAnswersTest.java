package dev.openbatch.reference;

import static dev.openbatch.reference.Http.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.images.TestImages;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What the reference endpoint answers, with its controls at their defaults. */
class ReferenceEndpointAnswersTest {

    private static ReferenceEndpoint endpoint;
    private static Http http;

    @BeforeAll
    static void start() {
        endpoint = ReferenceEndpoint.start(Options.defaults());
        http = new Http(endpoint);
    }

    @AfterAll
    static void stop() {
        http.close();
        endpoint.close();
    }

    @Test
    void chat_answersAChatCompletion_whoseTextSaysWhatItReceived() {
        HttpResponse<String> response = http.post("chat/completions", """
                {"model": "gpt-test", "messages": [
                  {"role": "system", "content": "Be brief."},
                  {"role": "user", "content": [{"type": "text", "text": "Hello there, model"}]}]}""");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).contains("application/json");
        JsonNode answer = json(response);
        assertThat(answer.path("id").asText()).startsWith("chatcmpl-");
        assertThat(answer.path("object").asText()).isEqualTo("chat.completion");
        assertThat(answer.path("model").asText()).isEqualTo("gpt-test");
        JsonNode choice = answer.path("choices").get(0);
        assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
        String text = choice.path("message").path("content").asText();
        assertThat(text)
                .isEqualTo("Reference endpoint received model gpt-test: 2 messages, 2 text parts"
                        + " (27 characters, 5 words), 0 images.");
        assertThat(answer.path("received").path("messages").asInt()).isEqualTo(2);
        assertThat(answer.path("received").path("text_parts").asInt()).isEqualTo(2);
        assertThat(answer.path("received").path("text_characters").asInt()).isEqualTo(27);
        JsonNode usage = answer.path("usage");
        assertThat(usage.path("prompt_tokens").asInt()).isEqualTo(5);
        assertThat(usage.path("completion_tokens").asInt()).isEqualTo(text.split(" ").length);
        assertThat(usage.path("total_tokens").asInt())
                .isEqualTo(usage.path("prompt_tokens").asInt()
                        + usage.path("completion_tokens").asInt());
    }

    @Test
    void completions_answerATextCompletion_withAChoicePerPrompt() {
        JsonNode answer = json(http.post("completions", """
                {"model": "gpt-test-instruct", "prompt": ["Say one thing", "Say two things"]}"""));

        assertThat(answer.path("id").asText()).startsWith("cmpl-");
        assertThat(answer.path("object").asText()).isEqualTo("text_completion");
        assertThat(answer.path("choices")).hasSize(2);
        assertThat(answer.path("choices").get(1).path("index").asInt()).isEqualTo(1);
        assertThat(answer.path("choices").get(0).path("text").asText())
                .isEqualTo("Reference endpoint received model gpt-test-instruct: 2 input items, 2 text parts"
                        + " (27 characters, 6 words), 0 images.");
        assertThat(answer.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(answer.path("usage").path("prompt_tokens").asInt()).isEqualTo(6);
        assertThat(answer.path("received").path("input_items").asInt()).isEqualTo(2);
    }

    @Test
    void embeddings_forAString_giveOneUnitVectorOfEightDimensions() {
        JsonNode answer = json(http.post("embeddings", """
                {"model": "embed-test", "input": "the quick brown fox"}"""));

        assertThat(answer.path("object").asText()).isEqualTo("list");
        assertThat(answer.path("model").asText()).isEqualTo("embed-test");
        assertThat(answer.path("data")).hasSize(1);
        JsonNode embedding = answer.path("data").get(0);
        assertThat(embedding.path("object").asText()).isEqualTo("embedding");
        assertThat(embedding.path("index").asInt()).isZero();
        assertThat(embedding.path("embedding")).hasSize(8);
        assertThat(length(embedding.path("embedding"))).isCloseTo(1.0, within(1e-5));
        assertThat(answer.path("usage").path("prompt_tokens").asInt()).isEqualTo(4);
        assertThat(answer.path("usage").path("total_tokens").asInt()).isEqualTo(4);
    }

    @Test
    void embeddings_forAnArray_giveOneVectorPerInput_ofTheDimensionsAsked_theSameForTheSameText() {
        JsonNode answer = json(http.post("embeddings", """
                {"model": "embed-test", "input": ["alpha", "beta", "alpha", [1, 2, 3]], "dimensions": 50}"""));

        JsonNode data = answer.path("data");
        assertThat(data).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(data.get(i).path("index").asInt()).isEqualTo(i);
            assertThat(data.get(i).path("embedding")).hasSize(50);
            assertThat(length(data.get(i).path("embedding"))).isCloseTo(1.0, within(1e-5));
        }
        assertThat(data.get(2).path("embedding")).isEqualTo(data.get(0).path("embedding"));
        assertThat(data.get(1).path("embedding")).isNotEqualTo(data.get(0).path("embedding"));
        assertThat(answer.path("received").path("input_items").asInt()).isEqualTo(4);
        assertThat(answer.path("received").path("text_parts").asInt()).isEqualTo(3);
    }

    @Test
    void embeddings_asBase64_holdTheSameFloatsLittleEndian() {
        JsonNode floats = json(http.post("embeddings", """
                {"model": "embed-test", "input": "same text"}""")).path("data").get(0).path("embedding");
        String base64 = json(http.post("embeddings", """
                {"model": "embed-test", "input": "same text", "encoding_format": "base64"}"""))
                .path("data")
                .get(0)
                .path("embedding")
                .asText();

        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(base64)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(bytes.remaining()).isEqualTo(8 * Float.BYTES);
        for (JsonNode value : floats) {
            assertThat(bytes.getFloat()).isEqualTo(value.floatValue());
        }
    }

    @Test
    void responses_answerACompletedResponse_whoseOutputTextSaysWhatItReceived() {
        JsonNode answer = json(http.post("responses", """
                {"model": "gpt-test", "instructions": "Answer in French.", "input": [
                  {"role": "user", "content": [{"type": "input_text", "text": "What is this?"}]}]}"""));

        assertThat(answer.path("id").asText()).startsWith("resp_");
        assertThat(answer.path("object").asText()).isEqualTo("response");
        assertThat(answer.path("status").asText()).isEqualTo("completed");
        assertThat(answer.path("model").asText()).isEqualTo("gpt-test");
        JsonNode message = answer.path("output").get(0);
        assertThat(message.path("type").asText()).isEqualTo("message");
        assertThat(message.path("role").asText()).isEqualTo("assistant");
        JsonNode content = message.path("content").get(0);
        assertThat(content.path("type").asText()).isEqualTo("output_text");
        assertThat(content.path("text").asText())
                .isEqualTo("Reference endpoint received model gpt-test:"
                        + " 1 input item, 2 text parts (30 characters, 6 words), 0 images.");
        JsonNode usage = answer.path("usage");
        assertThat(usage.path("input_tokens").asInt()).isEqualTo(6);
        assertThat(usage.path("total_tokens").asInt())
                .isEqualTo(6 + usage.path("output_tokens").asInt());
        assertThat(answer.path("received").path("input_items").asInt()).isEqualTo(1);
        assertThat(answer.path("instructions").asText())
                .as("restated from the request")
                .isEqualTo("Answer in French.");
        assertThat(answer.path("tools")).as("none asked for").isEmpty();
    }

    @Test
    void sameBody_getsByteForByteTheSameAnswer_anotherBody_anotherId() {
        String body = """
                {"model": "gpt-test", "messages": [{"role": "user", "content": "Same question"}]}""";

        HttpResponse<String> first = http.post("chat/completions", body);
        HttpResponse<String> second = http.post("chat/completions", body);
        HttpResponse<String> other = http.post("chat/completions", body.replace("Same", "Other"));

        assertThat(second.body()).isEqualTo(first.body());
        assertThat(json(other).path("id")).isNotEqualTo(json(first).path("id"));
    }

    @Test
    void chat_withTwoImages_reportsEachImagesTypeSizeAndDigest() {
        byte[] png = TestImages.png(64, 32);
        byte[] jpeg = TestImages.jpeg(20, 10);

        JsonNode answer = json(http.post("chat/completions", """
                {"model": "vision-test", "messages": [{"role": "user", "content": [
                  {"type": "text", "text": "Compare these"},
                  {"type": "image_url", "image_url": {"url": "%s", "detail": "low"}},
                  {"type": "image_url", "image_url": {"url": "%s"}}]}]}""".formatted(
                        TestImages.dataUri("image/png", png), TestImages.dataUri("image/jpeg", jpeg))));

        JsonNode images = answer.path("received").path("images");
        assertThat(images).hasSize(2);
        assertImage(images.get(0), "image/png", 64, 32, png);
        assertThat(images.get(0).path("detail").asText()).isEqualTo("low");
        assertImage(images.get(1), "image/jpeg", 20, 10, jpeg);
        assertThat(images.get(1).has("detail")).isFalse();
        assertThat(answer.path("choices").get(0).path("message").path("content").asText())
                .contains("2 images: [1] image/png 64x32, " + png.length + " bytes, sha256 " + Sha256.hex(png)
                        + ", detail low; [2] image/jpeg 20x10, " + jpeg.length + " bytes, sha256 "
                        + Sha256.hex(jpeg) + ".");
    }

    @Test
    void responses_withGifAndWebpImages_reportsEachImagesTypeSizeAndDigest() {
        byte[] gif = TestImages.gif(15, 25);
        byte[] webp = TestImages.webpExtended(1024, 768);

        JsonNode answer = json(http.post("responses", """
                {"model": "vision-test", "input": [{"role": "user", "content": [
                  {"type": "input_image", "image_url": "%s", "detail": "high"},
                  {"type": "input_text", "text": "and"},
                  {"type": "input_image", "image_url": "%s"}]}]}""".formatted(
                        TestImages.dataUri("image/gif", gif), TestImages.dataUri("image/webp", webp))));

        JsonNode images = answer.path("received").path("images");
        assertThat(images).hasSize(2);
        assertImage(images.get(0), "image/gif", 15, 25, gif);
        assertThat(images.get(0).path("detail").asText()).isEqualTo("high");
        assertImage(images.get(1), "image/webp", 1024, 768, webp);
        assertThat(answer.path("output")
                        .get(0)
                        .path("content")
                        .get(0)
                        .path("text")
                        .asText())
                .contains("[1] image/gif 15x25", "[2] image/webp 1024x768", Sha256.hex(webp));
    }

    @Test
    void image_whoseBytesAreNotTheDeclaredType_isReportedByItsBytes_withTheDeclaredTypeBeside() {
        byte[] jpeg = TestImages.jpeg(8, 8);

        JsonNode answer = json(http.post("chat/completions", """
                {"model": "vision-test", "messages": [{"role": "user", "content": [
                  {"type": "image_url", "image_url": {"url": "%s"}}]}]}""".formatted(TestImages.dataUri("image/png", jpeg))));

        JsonNode image = answer.path("received").path("images").get(0);
        assertThat(image.path("media_type").asText()).isEqualTo("image/jpeg");
        assertThat(image.path("declared_media_type").asText()).isEqualTo("image/png");
        assertThat(answer.path("choices").get(0).path("message").path("content").asText())
                .contains("image/jpeg (declared image/png) 8x8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://example.com/cat.png", "s3://bucket/cat.png"})
    void chat_imageUrlThatIsNotADataUri_isA400_sayingOnlyDataUrisAreAccepted(String url) {
        HttpResponse<String> response = http.post("chat/completions", """
                {"model": "vision-test", "messages": [{"role": "user", "content": [
                  {"type": "text", "text": "What is this?"},
                  {"type": "image_url", "image_url": {"url": "%s"}}]}]}""".formatted(url));

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = json(response).path("error");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText()).contains("only accepts images as data: URIs");
        assertThat(error.path("param").asText()).isEqualTo("messages[0].content[1].image_url.url");
        assertThat(error.has("code")).isTrue();
    }

    @Test
    void responses_imageUrlThatIsNotADataUri_isA400_namingWhereItWas() {
        HttpResponse<String> response = http.post("responses", """
                {"model": "vision-test", "input": [{"role": "user", "content": [
                  {"type": "input_image", "image_url": "https://example.com/cat.png"}]}]}""");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).path("error").path("message").asText()).contains("https:");
        assertThat(json(response).path("error").path("param").asText()).isEqualTo("input[0].content[0].image_url");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{not json", "", "[1, 2]"})
    void malformedJsonBody_isA400InOpenAisEnvelope(String body) {
        HttpResponse<String> response = http.post("chat/completions", body);

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = json(response).path("error");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText()).contains("could not parse the JSON body");
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
    }

    @Test
    void unknownPath_isA404_andWrongMethod_aA405_inOpenAisEnvelope() {
        HttpResponse<String> unknown = http.post("images/generations", "{}");
        HttpResponse<String> wrongMethod =
                http.send(http.request("chat/completions").GET().build());

        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).path("error").path("message").asText()).contains("/v1/images/generations");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("allow")).contains("POST");
        assertThat(json(wrongMethod).path("error").path("type").asText()).isEqualTo("invalid_request_error");
    }

    @ParameterizedTest
    @CsvSource({
        "chat/completions, error-400, 400, invalid_request_error",
        "embeddings, error-500, 500, server_error",
        "responses, error-429, 429, rate_limit_error"
    })
    void modelNamedErrorNnn_alwaysGetsStatusNnn(String path, String model, int status, String type) {
        HttpResponse<String> response = http.post(path, """
                {"model": "%s", "messages": [{"role": "user", "content": "hi"}], "input": "hi"}""".formatted(model));

        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(json(response).path("error").path("type").asText()).isEqualTo(type);
        assertThat(json(response).path("error").path("param").asText()).isEqualTo("model");
    }

    @Test
    void streaming_isRefused_ratherThanAnsweredAsIfItStreamed() {
        HttpResponse<String> response = http.post("chat/completions", """
                {"model": "gpt-test", "stream": true, "messages": [{"role": "user", "content": "hi"}]}""");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).path("error").path("param").asText()).isEqualTo("stream");
    }

    @Test
    void health_answers200() {
        HttpResponse<String> health = http.get("/health");

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(json(health).path("status").asText()).isEqualTo("ok");
    }

    private static void assertImage(JsonNode image, String mediaType, int width, int height, byte[] bytes) {
        assertThat(image.path("media_type").asText()).isEqualTo(mediaType);
        assertThat(image.path("width").asInt()).isEqualTo(width);
        assertThat(image.path("height").asInt()).isEqualTo(height);
        assertThat(image.path("bytes").asInt()).isEqualTo(bytes.length);
        assertThat(image.path("sha256").asText()).isEqualTo(Sha256.hex(bytes));
        assertThat(image.has("declared_media_type")).isFalse();
    }

    private static double length(JsonNode vector) {
        double sum = 0;
        for (JsonNode value : vector) {
            sum += value.doubleValue() * value.doubleValue();
        }
        return Math.sqrt(sum);
    }
}
