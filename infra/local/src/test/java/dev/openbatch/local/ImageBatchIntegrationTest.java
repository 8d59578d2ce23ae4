package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.batches.Batch;
import dev.openbatch.core.fakes.ImageServer;
import dev.openbatch.core.images.TestImages;
import java.io.IOException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Vision batches through the local runtime: images by {@code s3://} in the runtime's region and in
 * another, by {@code https://} from an image server the configuration trusts, and by {@code data:}
 * URI; the reference endpoint's answers prove which bytes arrived, and each bad image fails its line alone.
 */
class ImageBatchIntegrationTest {

    private static final String EU_BUCKET = "eu-images";
    private static final byte[] CAT = TestImages.png(64, 48);
    private static final byte[] DOG = TestImages.jpeg(40, 30);
    private static final byte[] OWL = TestImages.webpLossless(300, 200);
    private static final byte[] BIRD = TestImages.gif(12, 34);
    private static final byte[] FISH = TestImages.png(7, 9);

    private static ImageServer images;
    private static LocalRuntime runtime;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws IOException {
        images = new ImageServer().serve("/bird.gif", BIRD).status("/gone.png", 404);
        runtime = LocalRuntime.start(LocalRuntimes.isolated("openbatch-images")
                .jobConcurrency(16)
                .chunkLines(500)
                .mapConcurrency(4)
                .workers(4)
                .images(new LocalRuntime.Images(
                        List.of(LocalRuntime.IMAGE_BUCKET, EU_BUCKET),
                        Map.of(EU_BUCKET, "eu-west-1"),
                        Set.of("localhost"),
                        false,
                        ImageServer.certificatePem()))
                .build());
        client = OpenAIOkHttpClient.builder()
                .baseUrl(runtime.apiBase().toString())
                .apiKey("sk-local")
                .maxRetries(0)
                .build();
        try (S3Client s3 = S3Client.builder()
                .endpointOverride(runtime.s3Endpoint())
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("any", "any")))
                .build()) {
            s3.putObject(b -> b.bucket(LocalRuntime.IMAGE_BUCKET).key("cats/cat.png"), RequestBody.fromBytes(CAT));
            s3.putObject(
                    b -> b.bucket(LocalRuntime.IMAGE_BUCKET).key("notes.txt"), RequestBody.fromString("not an image"));
            s3.putObject(b -> b.bucket(EU_BUCKET).key("dogs/dog.jpg"), RequestBody.fromBytes(DOG));
            s3.putObject(b -> b.bucket(EU_BUCKET).key("owls/owl.webp"), RequestBody.fromBytes(OWL));
            s3.putObject(b -> b.bucket(EU_BUCKET).key("fish.png"), RequestBody.fromBytes(FISH));
        }
    }

    @AfterAll
    static void stop() {
        if (runtime != null) {
            runtime.close();
        }
        images.close();
    }

    private static String chatLine(String customId, String... parts) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"vision\",\"messages\":[{\"role\":\"system\",\"content\":\"Describe.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is in these?\"},"
                + String.join(",", parts) + "]}]}}\n";
    }

    private static String image(String url) {
        return "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\",\"detail\":\"low\"}}";
    }

    private static String dataUri(String type, byte[] bytes) {
        return "data:" + type + ";base64," + Base64.getEncoder().encodeToString(bytes);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The images the reference endpoint says it received for a line: type, size and digest each. */
    private static List<String> received(JsonNode line) {
        return StreamSupport.stream(line.at("/response/body/received/images").spliterator(), false)
                .map(i -> i.get("media_type").asText() + " " + i.get("width").asInt() + "x"
                        + i.get("height").asInt() + " " + i.get("sha256").asText())
                .toList();
    }

    private static String described(String type, int width, int height, byte[] bytes) {
        return type + " " + width + "x" + height + " " + sha256(bytes);
    }

    private static Map<String, JsonNode> run(String endpoint, String jsonl, int lines) {
        Batch batch = AwaitBatch.ended(client, SdkBatches.submit(client, endpoint, jsonl), Duration.ofMinutes(2));
        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        return SdkBatches.endings(client, batch, lines);
    }

    private static JsonNode error(JsonNode line) {
        assertThat(line.at("/response/status_code").asInt()).as(line.toString()).isEqualTo(400);
        return line.at("/response/body/error");
    }

    @Test
    void aBatchMixingGoodAndBadImages_failsExactlyTheBadLines_andTheRightBytesArrive() {
        String privateUrl = "https://127.0.0.1:" + images.port() + "/bird.gif";
        String jsonl = chatLine("s3-home", image("s3://openbatch-images/cats/cat.png"))
                + chatLine("s3-other-region", image("s3://eu-images/dogs/dog.jpg"))
                + chatLine("https", image(images.url("/bird.gif")))
                + chatLine("data", image(dataUri("image/png", FISH)))
                + chatLine(
                        "many",
                        image("s3://eu-images/owls/owl.webp"),
                        "{\"type\":\"text\",\"text\":\"and\"}",
                        image(images.url("/bird.gif")),
                        image(dataUri("image/jpeg", DOG)),
                        image("s3://openbatch-images/cats/cat.png"))
                + chatLine("no-such-object", image("s3://openbatch-images/cats/none.png"))
                + chatLine("bucket-not-allowed", image("s3://openbatch-data/files/anything"))
                + chatLine("not-an-image", image("s3://openbatch-images/notes.txt"))
                + chatLine("https-404", image(images.url("/gone.png")))
                + chatLine("private-address", image(privateUrl))
                + chatLine("bad-scheme", image("file:///etc/passwd"))
                + chatLine("bad-data", image("data:image/png;base64,%%%"))
                + chatLine(
                        "string-image-url",
                        "{\"type\":\"image_url\",\"image_url\":\"s3://openbatch-images/cats/cat.png\"}")
                + chatLine(
                        "unknown-part-type",
                        "{\"type\":\"input_image\",\"image_url\":\"s3://openbatch-images/cats/cat.png\"}");

        Map<String, JsonNode> endings = run("/v1/chat/completions", jsonl, 14);

        String cat = described("image/png", 64, 48, CAT);
        String dog = described("image/jpeg", 40, 30, DOG);
        assertThat(received(endings.get("s3-home"))).containsExactly(cat);
        assertThat(received(endings.get("s3-other-region"))).containsExactly(dog);
        assertThat(received(endings.get("https"))).containsExactly(described("image/gif", 12, 34, BIRD));
        assertThat(received(endings.get("data"))).containsExactly(described("image/png", 7, 9, FISH));
        assertThat(received(endings.get("many")))
                .containsExactly(
                        described("image/webp", 300, 200, OWL), described("image/gif", 12, 34, BIRD), dog, cat);
        assertThat(endings.get("many")
                        .at("/response/body/received/images/0/detail")
                        .asText())
                .isEqualTo("low");

        assertThat(error(endings.get("no-such-object")).get("message").asText())
                .isEqualTo(
                        "Error while downloading the"
                                + " image at messages[1].content[1] (s3://openbatch-images/cats/none.png): the object does not exist.");
        assertThat(error(endings.get("no-such-object")).get("param").asText())
                .isEqualTo("messages[1].content[1].image_url.url");
        assertThat(error(endings.get("bucket-not-allowed")).get("message").asText())
                .endsWith(
                        "(s3://openbatch-data/files/anything): the bucket is not one this deployment may read images from.");
        assertThat(error(endings.get("not-an-image")).get("code").asText()).isEqualTo("invalid_image_format");
        assertThat(error(endings.get("https-404")).get("message").asText()).endsWith("the server answered HTTP 404.");
        assertThat(error(endings.get("private-address")).get("message").asText())
                .isEqualTo("Error while downloading the image at messages[1].content[1] (" + privateUrl
                        + "): the host is not on the public internet.");
        assertThat(error(endings.get("bad-scheme")).get("message").asText())
                .endsWith("only s3://, https:// and data: image URLs are supported.");
        assertThat(error(endings.get("bad-data")).get("message").asText()).endsWith("does not hold valid base64.");
        assertThat(error(endings.get("string-image-url")).get("message").asText())
                .isEqualTo(
                        "Invalid type for 'messages[1].content[1].image_url': expected an object, but got a string instead.");
        assertThat(error(endings.get("unknown-part-type")).get("message").asText())
                .isEqualTo(
                        "Invalid value:"
                                + " 'input_image'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', 'audio', and 'file'.");
        assertThat(images.requests("/bird.gif"))
                .as("fetched once for the chunk; the private address never")
                .isEqualTo(1);
    }

    @Test
    void responsesInputImages_fromAnotherRegion_arrive_andTheBucketsRegionIsRemembered() {
        run("/v1/responses", responsesLine("warm-up", "s3://eu-images/fish.png"), 1);
        int redirects = runtime.imageRegionRedirects();
        assertThat(redirects).as("S3 told the worker where the bucket lives").isPositive();

        Map<String, JsonNode> endings = run(
                "/v1/responses",
                responsesLine("owl", "s3://eu-images/owls/owl.webp")
                        + responsesLine("dog", "s3://eu-images/dogs/dog.jpg")
                        + responsesLine("none", "s3://eu-images/none.png"),
                3);

        assertThat(received(endings.get("owl"))).containsExactly(described("image/webp", 300, 200, OWL));
        assertThat(received(endings.get("dog"))).containsExactly(described("image/jpeg", 40, 30, DOG));
        assertThat(error(endings.get("none")).get("param").asText()).isEqualTo("input[0].content[1].image_url");
        assertThat(runtime.imageRegionRedirects())
                .as("the region, once found, is used directly")
                .isEqualTo(redirects);
    }

    private static String responsesLine(String customId, String url) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/responses\",\"body\":"
                + "{\"model\":\"vision\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"What?\"},"
                + "{\"type\":\"input_image\",\"image_url\":\"" + url + "\",\"detail\":\"high\"}]}]}}\n";
    }
}
