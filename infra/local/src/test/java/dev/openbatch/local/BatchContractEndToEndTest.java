package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.batches.BatchUsage;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import com.openai.models.uploads.Upload;
import com.openai.models.uploads.UploadCompleteParams;
import com.openai.models.uploads.UploadCreateParams;
import com.openai.models.uploads.parts.PartCreateParams;
import dev.openbatch.aws.AwsClients;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.pipeline.Sweep;
import dev.openbatch.reference.Options;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * OpenAI's Batch contract of 2026 through the local runtime, as the official Java SDK reads it:
 * {@code usage} and {@code model} on the Batch, {@code expires_after} on files and uploads,
 * {@code output_expires_after} on batches, a file gone past its {@code expires_at} (and removed by
 * the runtime's own sweeper, under its role), and {@code /v1/moderations} with an image.
 */
class BatchContractEndToEndTest {

    private static final Duration WITHIN = Duration.ofMinutes(2);
    /** A 1x1 PNG. */
    private static final String PNG = "data:image/png;base64,"
            + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    private static LocalRuntime runtime;
    private static OpenAIClient client;
    private static S3Client s3;
    private static DynamoDbClient dynamo;

    @BeforeAll
    static void start() throws IOException {
        runtime = LocalRuntime.start(LocalRuntimes.isolated("openbatch-contract")
                .reference(Options.builder().latency(Duration.ofMillis(20)).build())
                .jobConcurrency(8)
                .chunkLines(2)
                .mapConcurrency(4)
                .workers(4)
                .build()
                // A sweeper that comes round every second: expired files go within moments.
                .withSweeper(new LocalRuntime.Sweeper(Duration.ofSeconds(1), Sweep.Bounds.DEFAULT)));
        client = OpenAIOkHttpClient.builder()
                .baseUrl(runtime.apiBase().toString())
                .apiKey("sk-local")
                .maxRetries(0)
                .build();
        AwsClients clients = Emulators.clients(runtime.s3Endpoint(), runtime.dynamoEndpoint());
        s3 = clients.s3();
        dynamo = clients.dynamoDb();
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    private static String line(String customId, String url, String body) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"" + url + "\",\"body\":" + body
                + "}\n";
    }

    private static String chat(String customId, String model, String text) {
        return line(
                customId,
                "/v1/chat/completions",
                "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}");
    }

    private static FileObject upload(String jsonl, FileCreateParams.ExpiresAfter expiresAfter) throws IOException {
        Path input = java.nio.file.Files.createTempFile("requests", ".jsonl");
        java.nio.file.Files.writeString(input, jsonl);
        FileCreateParams.Builder params = FileCreateParams.builder().file(input).purpose(FilePurpose.BATCH);
        if (expiresAfter != null) {
            params.expiresAfter(expiresAfter);
        }
        FileObject file = client.files().create(params.build());
        java.nio.file.Files.delete(input);
        return file;
    }

    private static Batch create(String fileId, String endpoint, BatchCreateParams.OutputExpiresAfter outputExpiry) {
        BatchCreateParams.Builder params = BatchCreateParams.builder()
                .inputFileId(fileId)
                .endpoint(BatchCreateParams.Endpoint.of(endpoint))
                .completionWindow(BatchCreateParams.CompletionWindow._24H);
        if (outputExpiry != null) {
            params.outputExpiresAfter(outputExpiry);
        }
        return client.batches().create(params.build());
    }

    /** What the file's record says its expiry is, moved to the past: as if its time had come. */
    private static void expireNow(String fileId) {
        dynamo.updateItem(b -> b.tableName(LocalRuntime.FILES_TABLE)
                .key(Map.of("id", AttributeValue.fromS(fileId)))
                .updateExpression("SET file_expires_at = :past")
                .expressionAttributeValues(Map.of(
                        ":past",
                        AttributeValue.fromN(Long.toString(Instant.now().getEpochSecond() - 1)))));
    }

    private static boolean bytesStored(String fileId) {
        try {
            s3.headObject(b -> b.bucket(LocalRuntime.BUCKET).key(Files.contentKey(fileId)));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    private static boolean recordStored(String fileId) {
        return dynamo.getItem(b -> b.tableName(LocalRuntime.FILES_TABLE)
                        .consistentRead(true)
                        .key(Map.of("id", AttributeValue.fromS(fileId))))
                .hasItem();
    }

    @Test
    void usageAndModel_areTheSumOfTheAnsweredLinesReports_andTheModelTheLinesName() throws IOException {
        String jsonl = chat("a", "m-usage", "one two three")
                + chat("b", "m-usage", "four five")
                + chat("c", "m-usage", "six")
                // Refused before it is sent (an image_url must be an object): it adds no usage, and names the same
                // model.
                + line(
                        "refused",
                        "/v1/chat/completions",
                        "{\"model\":\"m-usage\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
                                + "\"image_url\",\"image_url\":\"seven\"}]}]}");
        Batch created = create(upload(jsonl, null).id(), "/v1/chat/completions", null);
        assertThat(created.usage()).as("validating").isEmpty();

        Batch done = AwaitBatch.ended(client, created.id(), WITHIN);

        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(done.model()).contains("m-usage");
        long prompt = 0;
        long completion = 0;
        long total = 0;
        List<JsonNode> output = SdkBatches.lines(client, done.outputFileId().orElseThrow());
        assertThat(output).hasSize(3);
        for (JsonNode line : output) {
            JsonNode usage = line.at("/response/body/usage");
            prompt += usage.get("prompt_tokens").asLong();
            completion += usage.get("completion_tokens").asLong();
            total += usage.get("total_tokens").asLong();
        }
        BatchUsage usage = done.usage().orElseThrow();
        assertThat(usage.inputTokens()).isEqualTo(prompt).isEqualTo(6);
        assertThat(usage.outputTokens()).isEqualTo(completion).isPositive();
        assertThat(usage.totalTokens()).isEqualTo(total).isEqualTo(prompt + completion);
        assertThat(usage.inputTokensDetails().cachedTokens()).isZero();
        assertThat(usage.outputTokensDetails().reasoningTokens()).isZero();
    }

    @Test
    void responsesUsage_withItsDetails_andSeveralModels_leaveModelNull() throws IOException {
        String jsonl = line("r1", "/v1/responses", "{\"model\":\"r-one\",\"input\":\"alpha beta\"}")
                + line("r2", "/v1/responses", "{\"model\":\"r-two\",\"input\":\"gamma\"}");
        Batch done = AwaitBatch.ended(
                client, create(upload(jsonl, null).id(), "/v1/responses", null).id(), WITHIN);

        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(done.model()).as("the lines name two models").isEmpty();
        BatchUsage usage = done.usage().orElseThrow();
        assertThat(usage.inputTokens()).isEqualTo(3);
        assertThat(usage.totalTokens()).isEqualTo(usage.inputTokens() + usage.outputTokens());
    }

    @Test
    void aFilesExpiresAfter_setsItsExpiresAt_andPastIt_theFileIsGone_thenRemovedRecordAndBytes() throws IOException {
        FileObject file = upload(
                chat("x", "m", "hello"),
                FileCreateParams.ExpiresAfter.builder().seconds(3600).build());
        assertThat(file.expiresAt()).contains(file.createdAt() + 3600);
        assertThat(client.files().retrieve(file.id()).expiresAt()).contains(file.createdAt() + 3600);

        expireNow(file.id());

        assertThatThrownBy(() -> client.files().retrieve(file.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> client.files().content(file.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> client.files().delete(file.id())).isInstanceOf(NotFoundException.class);
        assertThat(client.files().list().data()).extracting(FileObject::id).doesNotContain(file.id());
        assertThatThrownBy(() -> create(file.id(), "/v1/chat/completions", null))
                .isInstanceOfSatisfying(
                        NotFoundException.class, e -> assertThat(e.param()).contains("input_file_id"));
        Poll.until(
                WITHIN,
                "the sweeper removes the expired file, record and bytes",
                () -> !recordStored(file.id()) && !bytesStored(file.id()));
    }

    @Test
    void badExpiresAfter_isA400NamingTheParameter() {
        assertThatThrownBy(() -> upload(
                        chat("x", "m", "hello"),
                        FileCreateParams.ExpiresAfter.builder().seconds(60).build()))
                .isInstanceOfSatisfying(
                        BadRequestException.class, e -> assertThat(e.param()).contains("expires_after.seconds"));
    }

    @Test
    void anUploadsExpiresAfter_setsItsFilesExpiresAt() {
        byte[] jsonl = chat("u", "m", "hello").getBytes(StandardCharsets.UTF_8);
        Upload upload = client.uploads()
                .create(UploadCreateParams.builder()
                        .bytes(jsonl.length)
                        .filename("requests.jsonl")
                        .mimeType("text/jsonl")
                        .purpose(FilePurpose.BATCH)
                        .expiresAfter(UploadCreateParams.ExpiresAfter.builder()
                                .seconds(7200)
                                .build())
                        .build());
        String part = client.uploads()
                .parts()
                .create(upload.id(), PartCreateParams.builder().data(jsonl).build())
                .id();

        FileObject file = client.uploads()
                .complete(
                        upload.id(),
                        UploadCompleteParams.builder().partIds(List.of(part)).build())
                .file()
                .orElseThrow();

        assertThat(file.expiresAt()).contains(file.createdAt() + 7200);
    }

    @Test
    void outputExpiresAfter_setsTheExpiresAtOfTheOutputAndErrorFiles() throws IOException {
        String jsonl = chat("ok", "m", "hello") + chat("bad", "error-400", "refused");
        Batch created = create(
                upload(jsonl, null).id(),
                "/v1/chat/completions",
                BatchCreateParams.OutputExpiresAfter.builder().seconds(86_400).build());

        Batch done = AwaitBatch.ended(client, created.id(), WITHIN);

        FileObject output = client.files().retrieve(done.outputFileId().orElseThrow());
        FileObject errors = client.files().retrieve(done.errorFileId().orElseThrow());
        assertThat(output.expiresAt()).contains(output.createdAt() + 86_400);
        assertThat(errors.expiresAt()).contains(errors.createdAt() + 86_400);
        assertThat(client.files().retrieve(done.inputFileId()).expiresAt())
                .as("the input keeps its own")
                .isEmpty();
    }

    @Test
    void aBatchWhoseInputExpiresWhileItRuns_runsToItsEnd() throws IOException {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            jsonl.append(chat("line-" + i, "m", "hello " + i));
        }
        FileObject input = upload(
                jsonl.toString(),
                FileCreateParams.ExpiresAfter.builder().seconds(3600).build());
        Batch created = create(input.id(), "/v1/chat/completions", null);
        Poll.until(
                WITHIN,
                "the batch is past validation",
                () -> !client.batches().retrieve(created.id()).status().equals(Batch.Status.VALIDATING));

        expireNow(input.id());
        Poll.until(WITHIN, "the sweeper removes the input", () -> !bytesStored(input.id()));

        Batch done = AwaitBatch.ended(client, created.id(), WITHIN);
        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(40);
    }

    @Test
    void aModerationBatch_withTextAndAnImage_isAnsweredInOpenAisModerationShape() throws IOException {
        String jsonl = line(
                        "multimodal",
                        "/v1/moderations",
                        "{\"model\":\"omni-moderation-latest\",\"input\":[{\"type\":\"text\",\"text\":\"is this fine"
                                + " [flag:violence]\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + PNG
                                + "\"}}]}")
                + line("strings", "/v1/moderations", "{\"input\":[\"first\",\"second\"]}")
                + line("no-input", "/v1/moderations", "{\"model\":\"omni-moderation-latest\"}");
        Batch done = AwaitBatch.ended(
                client,
                create(upload(jsonl, null).id(), "/v1/moderations", null).id(),
                WITHIN);

        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(done.endpoint()).isEqualTo("/v1/moderations");
        Map<String, JsonNode> ended = SdkBatches.endings(client, done, 3);
        JsonNode multimodal = ended.get("multimodal").at("/response/body");
        assertThat(multimodal.get("id").asText()).startsWith("modr-");
        assertThat(multimodal.at("/results/0/flagged").asBoolean()).isTrue();
        assertThat(multimodal.at("/results/0/categories/violence").asBoolean()).isTrue();
        assertThat(multimodal.at("/results/0/category_applied_input_types/violence"))
                .extracting(JsonNode::asText)
                .containsExactly("text", "image");
        assertThat(multimodal.at("/received/images/0/media_type").asText()).isEqualTo("image/png");
        assertThat(ended.get("strings").at("/response/body/results")).hasSize(2);
        JsonNode refused = ended.get("no-input").at("/response");
        assertThat(refused.get("status_code").asInt()).isEqualTo(400);
        assertThat(refused.at("/body/error/message").asText()).isEqualTo("Missing required parameter: 'input'.");
        assertThat(done.usage().orElseThrow().totalTokens())
                .as("moderations report no usage")
                .isZero();
    }
}
