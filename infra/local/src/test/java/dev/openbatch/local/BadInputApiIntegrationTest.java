package dev.openbatch.local;

import static dev.openbatch.local.ServingRuntime.ENDPOINT;
import static dev.openbatch.local.ServingRuntime.goodLine;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import com.openai.models.uploads.UploadCreateParams;
import dev.openbatch.core.Json;
import dev.openbatch.core.fakes.TestApi;
import dev.openbatch.core.files.Files;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad requests to the API of the local runtime — plain HTTP where the body itself is malformed, the
 * official OpenAI Java SDK elsewhere — each answered with a 4xx in OpenAI's error envelope, leaving
 * the store exactly as it was (no file, no batch, no object), the service serving on.
 */
class BadInputApiIntegrationTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static ServingRuntime serving;
    /** The output file of a completed batch: purpose {@code batch_output}, no batch's input. */
    private static String outputFileId;

    private static String deletedFileId;
    private static String inputFileId;

    @BeforeAll
    static void start() {
        serving = ServingRuntime.start(100);
        Batch done = AwaitBatch.ended(
                serving.client,
                SdkBatches.submit(serving.client, ENDPOINT, goodLine("for-its-output") + "\n"),
                ServingRuntime.BATCH_ENDS_WITHIN);
        outputFileId = done.outputFileId().orElseThrow();
        inputFileId = SdkBatches.upload(serving.client, (goodLine("input") + "\n").getBytes(StandardCharsets.UTF_8));
        deletedFileId =
                SdkBatches.upload(serving.client, (goodLine("deleted") + "\n").getBytes(StandardCharsets.UTF_8));
        serving.client.files().delete(deletedFileId);
    }

    @AfterAll
    static void stop() {
        serving.close();
    }

    /** The answer to a bad request: its status and OpenAI's error object. */
    record Answer(int status, String type, String code, String param, String message) {}

    @FunctionalInterface
    interface BadRequest {
        Answer send() throws Exception;
    }

    private static Arguments bad(String why, int status, String code, String param, BadRequest request) {
        return Arguments.of(why, request, status, code, param);
    }

    static Stream<Arguments> requests() {
        String batch = "{\"input_file_id\":\"%s\",\"endpoint\":\"" + ENDPOINT + "\",\"completion_window\":\"24h\"%s}";
        return Stream.of(
                bad(
                        "multipart without a file",
                        400,
                        "missing_required_parameter",
                        "file",
                        () -> multipart(TestApi.form("B", "batch", null, null))),
                bad(
                        "multipart whose file part has no filename",
                        400,
                        "missing_required_parameter",
                        "file",
                        () -> multipart(("--B\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                                        + "--B\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + goodLine("a")
                                        + "\r\n--B--\r\n")
                                .getBytes(StandardCharsets.UTF_8))),
                bad("a truncated multipart body", 400, "invalid_multipart", null, () -> {
                    byte[] form = TestApi.form(
                            "B", "batch", "requests.jsonl", goodLine("a").getBytes(StandardCharsets.UTF_8));
                    return multipart(Arrays.copyOf(form, form.length - 20));
                }),
                bad(
                        "a multipart body with no boundary in its content type",
                        400,
                        "invalid_multipart",
                        null,
                        () -> post("files", "multipart/form-data", TestApi.form("B", "batch", "r.jsonl", new byte[] {'{'
                        }))),
                bad(
                        "a file of purpose fine-tune",
                        400,
                        "invalid_value",
                        "purpose",
                        () -> sdk(client -> client.files()
                                .create(FileCreateParams.builder()
                                        .file(goodFile("requests.jsonl"))
                                        .purpose(FilePurpose.FINE_TUNE)
                                        .build()))),
                bad(
                        "a file not named .jsonl",
                        400,
                        "invalid_file_format",
                        "file",
                        () -> sdk(client -> client.files()
                                .create(FileCreateParams.builder()
                                        .file(goodFile("requests.txt"))
                                        .purpose(FilePurpose.BATCH)
                                        .build()))),
                bad(
                        "a file of 4 MiB + 1 byte in one request",
                        413,
                        "file_too_large",
                        "file",
                        () -> sdk(client -> client.files()
                                .create(FileCreateParams.builder()
                                        .file(file("big.jsonl", new byte[(int) Files.MAX_SINGLE_REQUEST_BYTES + 1]))
                                        .purpose(FilePurpose.BATCH)
                                        .build()))),
                bad(
                        "an upload of 200 MB + 1 byte",
                        400,
                        "invalid_value",
                        "bytes",
                        () -> sdk(client -> client.uploads()
                                .create(UploadCreateParams.builder()
                                        .bytes(200_000_001L)
                                        .filename("big.jsonl")
                                        .mimeType("text/jsonl")
                                        .purpose(FilePurpose.BATCH)
                                        .build()))),
                bad(
                        "a body over the gateway's 10 MB",
                        413,
                        null,
                        null,
                        () -> post("batches", "application/json", new byte[LocalApiGateway.MAX_BODY_BYTES + 1])),
                bad("a JSON body that is not JSON", 400, "invalid_json", null, () -> json("batches", "{not json")),
                bad(
                        "a JSON body of two objects",
                        400,
                        "invalid_json",
                        null,
                        () -> json("batches", batch.formatted(inputFileId, "") + batch.formatted(inputFileId, ""))),
                bad(
                        "a JSON body nested 5000 levels deep",
                        400,
                        "invalid_json",
                        null,
                        () -> json(
                                "batches",
                                batch.formatted(inputFileId, ",\"metadata\":" + "[".repeat(5000) + "]".repeat(5000)))),
                bad(
                        "a JSON body that is not UTF-8",
                        400,
                        "invalid_json",
                        null,
                        () -> post(
                                "batches",
                                "application/json",
                                batch.formatted(inputFileId, ",\"metadata\":{\"k\":\"caf\u00e9\"}")
                                        .getBytes(StandardCharsets.UTF_16))),
                bad(
                        "input_file_id a number",
                        400,
                        "invalid_type",
                        "input_file_id",
                        () -> json(
                                "batches",
                                "{\"input_file_id\":7,\"endpoint\":\"" + ENDPOINT
                                        + "\",\"completion_window\":\"24h\"}")),
                bad(
                        "completion_window a number",
                        400,
                        "invalid_type",
                        "completion_window",
                        () -> json(
                                "batches",
                                "{\"input_file_id\":\"" + inputFileId + "\",\"endpoint\":\"" + ENDPOINT
                                        + "\",\"completion_window\":24}")),
                bad(
                        "metadata an array",
                        400,
                        "invalid_type",
                        "metadata",
                        () -> json("batches", batch.formatted(inputFileId, ",\"metadata\":[\"k\"]"))),
                bad(
                        "a metadata value a number",
                        400,
                        "invalid_type",
                        "metadata.k",
                        () -> json("batches", batch.formatted(inputFileId, ",\"metadata\":{\"k\":1}"))),
                bad(
                        "stream: true on a batch",
                        400,
                        "unknown_parameter",
                        "stream",
                        () -> json("batches", batch.formatted(inputFileId, ",\"stream\":true"))),
                bad(
                        "an unknown endpoint",
                        400,
                        "invalid_value",
                        "endpoint",
                        () -> sdkBatch(b -> b.endpoint(BatchCreateParams.Endpoint.of("/v1/images/generations")))),
                bad(
                        "an endpoint with a query string",
                        400,
                        "invalid_value",
                        "endpoint",
                        () -> sdkBatch(b -> b.endpoint(BatchCreateParams.Endpoint.of(ENDPOINT + "?stream=true")))),
                bad(
                        "17 metadata pairs",
                        400,
                        "object_above_max_properties",
                        "metadata",
                        () -> sdkBatch(b -> {
                            BatchCreateParams.Metadata.Builder metadata = BatchCreateParams.Metadata.builder();
                            IntStream.range(0, 17)
                                    .forEach(i -> metadata.putAdditionalProperty("k" + i, JsonValue.from("v")));
                            b.metadata(metadata.build());
                        })),
                bad(
                        "a metadata key of 65 characters",
                        400,
                        "string_above_max_length",
                        "metadata",
                        () -> sdkBatch(b -> b.metadata(BatchCreateParams.Metadata.builder()
                                .putAdditionalProperty("k".repeat(65), JsonValue.from("v"))
                                .build()))),
                bad(
                        "a metadata value of 513 characters",
                        400,
                        "string_above_max_length",
                        "metadata.k",
                        () -> sdkBatch(b -> b.metadata(BatchCreateParams.Metadata.builder()
                                .putAdditionalProperty("k", JsonValue.from("v".repeat(513)))
                                .build()))),
                bad(
                        "a batch's output file as input (purpose batch_output)",
                        400,
                        "invalid_file_purpose",
                        "input_file_id",
                        () -> sdkBatch(b -> b.inputFileId(outputFileId))),
                bad(
                        "a deleted input file",
                        404,
                        null,
                        "input_file_id",
                        () -> sdkBatch(b -> b.inputFileId(deletedFileId))),
                bad(
                        "an unknown job",
                        400,
                        "invalid_value",
                        "job_id",
                        () -> sdkBatch(b -> b.putAdditionalBodyProperty("job_id", JsonValue.from("job-unknown")))),
                bad("an unknown path", 404, null, null, () -> send("GET", "models")),
                bad(
                        "method GET on a POST-only path",
                        405,
                        "method_not_allowed",
                        null,
                        () -> send("GET", "batches/batch_x/cancel")),
                bad("method PUT on the files", 405, "method_not_allowed", null, () -> send("PUT", "files")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("requests")
    void aBadRequest_isAnsweredInOpenAisEnvelope_leavesTheStoreAsItWas_andTheServiceServes(
            String why, BadRequest request, int status, String code, String param) throws Exception {
        ServingRuntime.Store before = serving.store();

        Answer answer = request.send();

        assertThat(answer.status()).isEqualTo(status);
        assertThat(answer.type()).isEqualTo("invalid_request_error");
        assertThat(answer.code()).isEqualTo(code);
        assertThat(answer.param()).isEqualTo(param);
        assertThat(answer.message()).isNotBlank();
        assertThat(serving.store()).as("the store after the request").isEqualTo(before);
        serving.assertServing();
    }

    @Test
    void aBodyCutOffByItsConnection_leavesTheStoreAsItWas_andTheServiceServes() throws Exception {
        ServingRuntime.Store before = serving.store();
        byte[] form =
                TestApi.form("B", "batch", "requests.jsonl", (goodLine("a") + "\n").getBytes(StandardCharsets.UTF_8));

        try (Socket socket = new Socket(
                serving.runtime.apiBase().getHost(), serving.runtime.apiBase().getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/files HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=B\r\n"
                            + "Content-Length: " + form.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(form, 0, form.length / 2);
            out.flush();
        }

        assertThat(serving.store()).isEqualTo(before);
        serving.assertServing();
    }

    private static Path goodFile(String name) {
        return file(name, (goodLine("a") + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static Path file(String name, byte[] content) {
        try {
            Path file = java.nio.file.Files.createTempDirectory("bad-input").resolve(name);
            java.nio.file.Files.write(file, content);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Answer sdk(Consumer<OpenAIClient> call) {
        try {
            call.accept(serving.client);
        } catch (OpenAIServiceException e) {
            return new Answer(
                    e.statusCode(),
                    e.type().orElse(null),
                    e.code().orElse(null),
                    e.param().orElse(null),
                    e.getMessage());
        }
        throw new AssertionError("the request was accepted");
    }

    /** {@code POST /v1/batches} of a good request, but for what {@code change} makes of it. */
    private static Answer sdkBatch(Consumer<BatchCreateParams.Builder> change) {
        BatchCreateParams.Builder params = BatchCreateParams.builder()
                .inputFileId(inputFileId)
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H);
        change.accept(params);
        return sdk(client -> client.batches().create(params.build()));
    }

    private static Answer multipart(byte[] body) throws Exception {
        return post("files", "multipart/form-data; boundary=B", body);
    }

    private static Answer json(String path, String body) throws Exception {
        return post(path, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    private static Answer post(String path, String contentType, byte[] body) throws Exception {
        return answer(HttpRequest.newBuilder(serving.base().resolve(path))
                .header("content-type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build());
    }

    private static Answer send(String method, String path) throws Exception {
        return answer(HttpRequest.newBuilder(serving.base().resolve(path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build());
    }

    /** Reads OpenAI's envelope, which must be exactly {@code {"error":{"message","type","param","code"}}}. */
    private static Answer answer(HttpRequest request) throws Exception {
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.headers().firstValue("content-type")).contains("application/json");
        JsonNode envelope = Json.MAPPER.readTree(response.body());
        assertThat(envelope.properties()).extracting(Map.Entry::getKey).containsExactly("error");
        JsonNode error = envelope.get("error");
        assertThat(error.properties())
                .extracting(Map.Entry::getKey)
                .containsExactlyInAnyOrder("message", "type", "param", "code");
        return new Answer(
                response.statusCode(),
                error.get("type").textValue(),
                error.get("code").textValue(),
                error.get("param").textValue(),
                error.get("message").textValue());
    }
}
