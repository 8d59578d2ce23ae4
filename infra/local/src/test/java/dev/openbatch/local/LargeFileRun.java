package dev.openbatch.local;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.aws.ApiHandler;
import dev.openbatch.aws.AwsClients;
import dev.openbatch.aws.DynamoDbBatchRepository;
import dev.openbatch.aws.DynamoDbFileRepository;
import dev.openbatch.aws.FinalizeHandler;
import dev.openbatch.aws.S3ChunkStore;
import dev.openbatch.aws.S3FileContentStore;
import dev.openbatch.aws.Settings;
import dev.openbatch.aws.ValidateHandler;
import dev.openbatch.aws.Wiring;
import dev.openbatch.core.Ids;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.batches.RetryBatch;
import dev.openbatch.core.fakes.LargestInput;
import dev.openbatch.core.jobs.JobCatalog;
import dev.openbatch.core.pipeline.PartCounts;
import dev.openbatch.core.uploads.Uploads;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One large input file through every step that touches all its bytes, in a JVM of its own whose
 * heap the caller caps: uploaded in parts and assembled through the API Lambda's handler,
 * validated and cut by the Validate handler, joined by the Finalize handler, and downloaded through
 * the redirect. The chunks' parts stand in for the workers' (each chunk's lines as its output), so
 * the output file must equal the input. Prints one JSON line of what it measured.
 *
 * <p>Arguments: S3 endpoint, DynamoDB endpoint, bucket, files table, batches table, input file.
 */
public final class LargeFileRun {

    private static final String TENANT = "default";

    private final ApiHandler api;
    private final Map<String, Object> measured = new LinkedHashMap<>();

    private LargeFileRun(ApiHandler api) {
        this.api = api;
    }

    public static void main(String[] args) throws Exception {
        Settings settings = Settings.builder()
                .region("us-east-1")
                .bucket(args[2])
                .filesTable(args[3])
                .batchesTable(args[4])
                .jobsJson("{\"jobs\":[]}")
                // Never started here: the batch record is written directly, as the API would write it.
                .stateMachineArn("arn:aws:states:us-east-1:000000000000:stateMachine:not-started")
                .endpoints(Map.of(Settings.S3, URI.create(args[0]), Settings.DYNAMODB, URI.create(args[1])))
                .staticCredentials(Optional.of(LocalRuntime.CREDENTIALS.split(":", 2)))
                .build();
        Path input = Path.of(args[5]);
        Wiring wiring = new Wiring(settings);
        AwsClients clients = new AwsClients(settings);
        LargeFileRun run = new LargeFileRun(new ApiHandler(wiring));

        String inputFileId = run.upload(input);

        String batchId = "batch_large" + System.nanoTime();
        long now = Instant.now().getEpochSecond();
        new DynamoDbBatchRepository(clients.dynamoDb(), settings.batchesTable())
                .create(
                        TENANT,
                        Batch.validating(
                                batchId,
                                "/v1/chat/completions",
                                inputFileId,
                                "24h",
                                now,
                                now + 86_400,
                                null,
                                "job-local"));
        long started = System.nanoTime();
        JsonNode validated = step(new ValidateHandler(wiring), Map.of("batch_id", batchId, "tenant", TENANT));
        run.lap("validate_seconds", started);
        int chunkCount = validated.get("chunk_count").asInt();
        run.measured.put("valid", validated.get("valid").asBoolean());
        run.measured.put("chunks", chunkCount);

        var s3 = clients.s3();
        S3ChunkStore chunks = new S3ChunkStore(
                s3, settings.bucket(), new S3FileContentStore(s3, clients.s3Presigner(), settings.bucket()));
        started = System.nanoTime();
        for (JsonNode chunk : validated.get("chunks")) {
            int index = chunk.get("index").asInt();
            byte[] lines;
            try (InputStream in = chunks.readChunk(batchId, index)) {
                lines = in.readAllBytes();
            }
            chunks.writePart(
                    batchId,
                    index,
                    lines,
                    new byte[0],
                    new PartCounts(chunk.get("lines").asLong(), 0, 0));
        }
        run.lap("parts_seconds", started);

        // The results while the batch runs, every part whole: the largest answer, a snapshot behind a 302.
        started = System.nanoTime();
        run.downloadFrom("partial_output", "/v1/batches/" + batchId + "/output");
        run.lap("partial_output_seconds", started);

        started = System.nanoTime();
        JsonNode finalized = step(
                new FinalizeHandler(wiring), Map.of("batch_id", batchId, "tenant", TENANT, "chunk_count", chunkCount));
        run.lap("finalize_seconds", started);
        run.measured.put("status", finalized.get("status").asText());

        started = System.nanoTime();
        run.download("output", finalized.get("output_file_id").asText());
        run.lap("download_seconds", started);

        run.retryEveryLine(wiring, settings, clients, batchId);

        run.measured.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
        // Each pool's own peak: their sum would add peaks reached at different times.
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                run.measured.put(
                        "peak_bytes " + pool.getName(), pool.getPeakUsage().getUsed());
            }
        }
        System.out.println(Json.writeString(run.measured));
    }

    /**
     * The retry's worst case: every line of the input in the error file, so the retry streams the
     * whole input twice and copies it whole, byte for byte, into the new input file, which is then
     * downloaded and digested as the output was. The retry's batch is created, not started.
     */
    private void retryEveryLine(Wiring wiring, Settings settings, AwsClients clients, String batchId) throws Exception {
        var s3 = clients.s3();
        S3FileContentStore content = new S3FileContentStore(s3, clients.s3Presigner(), settings.bucket());
        DynamoDbBatchRepository batches = new DynamoDbBatchRepository(clients.dynamoDb(), settings.batchesTable());
        DynamoDbFileRepository files = new DynamoDbFileRepository(clients.dynamoDb(), settings.filesTable());
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        for (int i = 0; i < LargestInput.LINES; i++) {
            errors.writeBytes(("{\"id\":\"batch_req_" + i + "\",\"custom_id\":\"request-" + i
                            + "\",\"response\":null,\"error\":{\"code\":\"batch_expired\",\"message\":\"m\"}}\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        String errorFileId =
                batches.reserveFileId(TENANT, batchId, "error_file_id", "file-large-errors" + System.nanoTime());
        content.put(dev.openbatch.core.files.Files.contentKey(errorFileId), errors.toByteArray(), "application/jsonl");
        files.create(
                TENANT,
                FileObject.stored(
                        errorFileId, errors.size(), Instant.now().getEpochSecond(), "e.jsonl", "batch_output"));
        Ids ids = new Ids(Clock.systemUTC());
        dev.openbatch.core.files.Files filesApi =
                new dev.openbatch.core.files.Files(files, content, ids, Clock.systemUTC());
        Batches batchesApi = new Batches(
                batches,
                files,
                JobCatalog.fromJson("{\"jobs\":[{\"id\":\"job-local\",\"base_url\":\"http://127.0.0.1:9/v1\"}]}"),
                (tenant, id) -> {},
                Duration.ofHours(24),
                ids,
                Clock.systemUTC());
        long started = System.nanoTime();
        Batch retried = new RetryBatch(batchesApi, filesApi, content, ids).retry(TENANT, batchId, new byte[0]);
        lap("retry_seconds", started);
        download("retry_input", retried.inputFileId());
    }

    /** Creates an upload, adds the file in parts of the largest size, completes it with the file's MD5. */
    private String upload(Path input) throws Exception {
        long started = System.nanoTime();
        long size = Files.size(input);
        String uploadId = call(
                        "POST",
                        "/v1/uploads",
                        "application/json",
                        Json.write(Map.of(
                                "bytes",
                                size,
                                "filename",
                                input.getFileName().toString(),
                                "mime_type",
                                "text/jsonl",
                                "purpose",
                                "batch")))
                .get("id")
                .asText();
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        List<String> partIds = new ArrayList<>();
        try (InputStream in = Files.newInputStream(input)) {
            byte[] part;
            while ((part = in.readNBytes((int) Uploads.MAX_PART_BYTES)).length > 0) {
                md5.update(part);
                ByteArrayOutputStream form = new ByteArrayOutputStream(part.length + 256);
                form.writeBytes(("--B\r\nContent-Disposition: form-data; name=\"data\"; filename=\"data\"\r\n"
                                + "Content-Type: application/octet-stream\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
                form.writeBytes(part);
                form.writeBytes("\r\n--B--\r\n".getBytes(StandardCharsets.UTF_8));
                partIds.add(call(
                                "POST",
                                "/v1/uploads/" + uploadId + "/parts",
                                "multipart/form-data; boundary=B",
                                form.toByteArray())
                        .get("id")
                        .asText());
            }
        }
        measured.put("parts", partIds.size());
        lap("parts_upload_seconds", started);
        started = System.nanoTime();
        JsonNode completed = call(
                "POST",
                "/v1/uploads/" + uploadId + "/complete",
                "application/json",
                Json.write(Map.of("part_ids", partIds, "md5", HexFormat.of().formatHex(md5.digest()))));
        measured.put("upload_status", completed.get("status").asText());
        lap("complete_seconds", started);
        return completed.get("file").get("id").asText();
    }

    /** Follows the content's redirect, as the SDKs do, and digests what arrives without keeping it. */
    private void download(String name, String fileId) throws Exception {
        downloadFrom(name, "/v1/files/" + fileId + "/content");
    }

    private void downloadFrom(String name, String path) throws Exception {
        APIGatewayV2HTTPResponse response = api.handleRequest(event("GET", path, null, new byte[0]), null);
        measured.put(name + "_content_status", response.getStatusCode());
        URI location = URI.create(response.getHeaders().get("location"));
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        long bytes;
        try (InputStream body = HttpClient.newHttpClient()
                        .send(HttpRequest.newBuilder(location).build(), HttpResponse.BodyHandlers.ofInputStream())
                        .body();
                InputStream digesting = new DigestInputStream(body, sha256)) {
            bytes = digesting.transferTo(OutputStream.nullOutputStream());
        }
        measured.put(name + "_bytes", bytes);
        measured.put(name + "_sha256", HexFormat.of().formatHex(sha256.digest()));
    }

    private JsonNode call(String method, String path, String contentType, byte[] body) throws IOException {
        APIGatewayV2HTTPResponse response = api.handleRequest(event(method, path, contentType, body), null);
        if (response.getStatusCode() != 200) {
            throw new IllegalStateException(
                    method + " " + path + " answered " + response.getStatusCode() + ": " + response.getBody());
        }
        return Json.MAPPER.readTree(response.getBody());
    }

    /** The event API Gateway sends: bodies base64-encoded, as it sends a multipart or JSON body it does not treat as text. */
    private static APIGatewayV2HTTPEvent event(String method, String path, String contentType, byte[] body) {
        return APIGatewayV2HTTPEvent.builder()
                .withVersion("2.0")
                .withRawPath(path)
                .withHeaders(contentType == null ? Map.of() : Map.of("content-type", contentType))
                .withBody(body.length == 0 ? null : Base64.getEncoder().encodeToString(body))
                .withIsBase64Encoded(body.length > 0)
                .withRequestContext(APIGatewayV2HTTPEvent.RequestContext.builder()
                        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder()
                                .withMethod(method)
                                .build())
                        .build())
                .build();
    }

    private static JsonNode step(RequestStreamHandler handler, Map<String, Object> input) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        handler.handleRequest(new ByteArrayInputStream(Json.write(input)), out, null);
        return Json.MAPPER.readTree(out.toByteArray());
    }

    private void lap(String name, long startedNanos) {
        measured.put(name, Math.round((System.nanoTime() - startedNanos) / 1e7) / 100.0);
    }
}
