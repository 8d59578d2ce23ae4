package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import com.openai.models.uploads.Upload;
import com.openai.models.uploads.UploadCompleteParams;
import com.openai.models.uploads.UploadCreateParams;
import com.openai.models.uploads.parts.PartCreateParams;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files larger than one request, through the local runtime as a user runs it: uploaded in parts
 * with the official OpenAI Java SDK, run as a batch, downloaded through the redirect.
 */
class UploadsEndToEndTest {

    /** Parts of 2 MiB, as a user would pick under the 4 MiB a part may carry. */
    private static final int PART_BYTES = 2 * 1024 * 1024;

    private static final int LINES = 110;

    private static LocalProcess local;

    @BeforeAll
    static void start() throws IOException {
        local = LocalProcess.start(Files.createTempDirectory("openbatch-uploads-e2e"));
    }

    @AfterAll
    static void stop() {
        local.close();
    }

    /** About 5.5 MB: more than one request may carry, and more than a file's content answered inline. */
    private static byte[] largeFile() {
        StringBuilder file = new StringBuilder();
        String padding = "x".repeat(50_000);
        for (int i = 0; i < LINES; i++) {
            file.append("{\"custom_id\":\"request-")
                    .append(i)
                    .append("\",\"method\":\"POST\",")
                    .append(
                            "\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",")
                    .append("\"content\":\"line ")
                    .append(i)
                    .append(' ')
                    .append(padding)
                    .append("\"}]}}\n");
        }
        return file.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String md5(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }

    private static Upload create(OpenAIClient client, long bytes) {
        return client.uploads()
                .create(UploadCreateParams.builder()
                        .bytes(bytes)
                        .filename("large.jsonl")
                        .mimeType("text/jsonl")
                        .purpose(FilePurpose.BATCH)
                        .build());
    }

    private static String addPart(OpenAIClient client, String uploadId, byte[] data) {
        return client.uploads()
                .parts()
                .create(uploadId, PartCreateParams.builder().data(data).build())
                .id();
    }

    @Test
    void openAiJavaSdk_uploadsInPartsAddedOutOfOrder_completesByPartIds_runsTheFileAsABatch_andFollowsTheRedirect()
            throws Exception {
        OpenAIClient client = local.client();
        byte[] file = largeFile();
        assertThat(file.length).isGreaterThan(2 * PART_BYTES);

        Upload upload = create(client, file.length);
        assertThat(upload.status()).isEqualTo(Upload.Status.PENDING);
        assertThat(upload.file()).isEmpty();
        // The last part first, then the first, then the middle: part_ids alone set the order.
        String third = addPart(client, upload.id(), Arrays.copyOfRange(file, 2 * PART_BYTES, file.length));
        String first = addPart(client, upload.id(), Arrays.copyOfRange(file, 0, PART_BYTES));
        String second = addPart(client, upload.id(), Arrays.copyOfRange(file, PART_BYTES, 2 * PART_BYTES));

        Upload completed = client.uploads()
                .complete(
                        upload.id(),
                        UploadCompleteParams.builder()
                                .partIds(List.of(first, second, third))
                                .md5(md5(file))
                                .build());

        assertThat(completed.status()).isEqualTo(Upload.Status.COMPLETED);
        FileObject input = completed.file().orElseThrow();
        assertThat(input.bytes()).isEqualTo(file.length);
        assertThat(input.filename()).isEqualTo("large.jsonl");
        assertThat(input.purpose()).isEqualTo(FileObject.Purpose.BATCH);
        assertThat(client.files().retrieve(input.id())).isEqualTo(input);
        try (HttpResponse content = client.files().content(input.id());
                InputStream body = content.body()) {
            assertThat(content.statusCode()).isEqualTo(200);
            assertThat(body.readAllBytes()).isEqualTo(file);
        }

        Batch batch = client.batches()
                .create(BatchCreateParams.builder()
                        .inputFileId(input.id())
                        .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                        .completionWindow(BatchCreateParams.CompletionWindow._24H)
                        .putAdditionalBodyProperty("job_id", JsonValue.from("job-local"))
                        .build());
        Batch done = AwaitBatch.ended(client, batch.id(), Duration.ofSeconds(90));
        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(LINES);
        try (HttpResponse output = client.files().content(done.outputFileId().orElseThrow());
                InputStream body = output.body()) {
            List<String> lines = new String(body.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .toList();
            assertThat(lines).hasSize(LINES);
            assertThat(lines.getFirst()).contains("\"custom_id\":\"request-0\"", "\"status_code\":200");
        }
    }

    @Test
    void plainHttp_largeContent_is302ToThePresignedLocalS3Url_whichServesTheBytes() throws Exception {
        OpenAIClient client = local.client();
        byte[] file = largeFile();
        Upload upload = create(client, file.length);
        String first = addPart(client, upload.id(), Arrays.copyOfRange(file, 0, Math.toIntExact(4L * 1024 * 1024)));
        String rest = addPart(client, upload.id(), Arrays.copyOfRange(file, 4 * 1024 * 1024, file.length));
        String fileId = client.uploads()
                .complete(
                        upload.id(),
                        UploadCompleteParams.builder()
                                .partIds(List.of(first, rest))
                                .build())
                .file()
                .orElseThrow()
                .id();
        HttpClient http = HttpClient.newHttpClient();

        java.net.http.HttpResponse<Void> redirect = http.send(
                HttpRequest.newBuilder(URI.create(local.baseUrl() + "/files/" + fileId + "/content"))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());

        assertThat(redirect.statusCode()).isEqualTo(302);
        URI location = URI.create(redirect.headers().firstValue("location").orElseThrow());
        assertThat(location.getAuthority()).isEqualTo("127.0.0.1:" + local.s3Port);
        assertThat(location.getPath()).isEqualTo("/openbatch-data/files/" + fileId);
        assertThat(location.getQuery()).contains("X-Amz-Expires=300");
        java.net.http.HttpResponse<byte[]> followed = http.send(
                HttpRequest.newBuilder(location).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertThat(followed.statusCode()).isEqualTo(200);
        assertThat(followed.body()).isEqualTo(file);
    }

    @Test
    void openAiJavaSdk_seesTheUploadsErrors(@TempDir Path dir) throws Exception {
        OpenAIClient client = local.client();
        byte[] file = "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n"
                .getBytes(StandardCharsets.UTF_8);
        Upload upload = create(client, file.length);
        String part = addPart(client, upload.id(), file);

        assertThatThrownBy(() -> addPart(client, upload.id(), new byte[4 * 1024 * 1024 + 1]))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.code()).contains("part_too_large");
                    assertThat(e.getMessage()).contains("4194304 bytes one part may carry");
                });
        assertThatThrownBy(() -> client.uploads()
                        .complete(
                                upload.id(),
                                UploadCompleteParams.builder()
                                        .partIds(List.of(part))
                                        .md5(md5("other".getBytes(StandardCharsets.UTF_8)))
                                        .build()))
                .isInstanceOfSatisfying(
                        BadRequestException.class, e -> assertThat(e.param()).contains("md5"));
        assertThatThrownBy(() -> client.uploads()
                        .complete(
                                upload.id(),
                                UploadCompleteParams.builder()
                                        .partIds(List.of())
                                        .build()))
                .isInstanceOfSatisfying(
                        BadRequestException.class, e -> assertThat(e.code()).contains("bytes_mismatch"));

        Upload cancelled = client.uploads().cancel(upload.id());
        assertThat(cancelled.status()).isEqualTo(Upload.Status.CANCELLED);
        assertThatThrownBy(() -> client.uploads()
                        .complete(
                                upload.id(),
                                UploadCompleteParams.builder()
                                        .partIds(List.of(part))
                                        .build()))
                .isInstanceOfSatisfying(
                        BadRequestException.class,
                        e -> assertThat(e.getMessage()).contains("its status is 'cancelled'"));
        assertThatThrownBy(() -> client.uploads().cancel("upload_missing")).isInstanceOf(NotFoundException.class);

        // Over what one request may carry, within what Lambda accepts (multipart arrives base64-encoded, 4/3 larger):
        // the service itself answers, and names the way out.
        Path large = dir.resolve("large.jsonl");
        Files.write(large, Arrays.copyOf(largeFile(), 4 * 1024 * 1024 + 1));
        assertThatThrownBy(() -> client.files()
                        .create(FileCreateParams.builder()
                                .file(large)
                                .purpose(FilePurpose.BATCH)
                                .build()))
                .isInstanceOfSatisfying(OpenAIServiceException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(413);
                    assertThat(e.getMessage()).contains("/v1/uploads");
                });
        // Beyond Lambda's 6 MB the function never sees the request: API Gateway's own 413, as in the cloud.
        Path larger = dir.resolve("larger.jsonl");
        Files.write(larger, largeFile());
        assertThatThrownBy(() -> client.files()
                        .create(FileCreateParams.builder()
                                .file(larger)
                                .purpose(FilePurpose.BATCH)
                                .build()))
                .isInstanceOfSatisfying(OpenAIServiceException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(413);
                    assertThat(e.getMessage()).contains("Request Entity Too Large");
                });
    }
}
