package dev.openbatch.core.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Ids;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.batches.RetryBatch;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.http.ApiRequest;
import dev.openbatch.core.http.ApiResponse;
import dev.openbatch.core.http.OpenAiApi;
import dev.openbatch.core.jobs.JobCatalog;
import dev.openbatch.core.pipeline.BatchReports;
import dev.openbatch.core.pipeline.BatchResults;
import dev.openbatch.core.uploads.Uploads;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** The whole core API over in-memory ports, and helpers to build requests to it. */
public final class TestApi {

    public static final String TENANT = "tenant-a";
    public static final String OTHER_TENANT = "tenant-b";
    public static final String JOBS = "{\"default_job\":\"job-default\",\"jobs\":["
            + "{\"id\":\"job-default\",\"base_url\":\"http://127.0.0.1:9/v1\",\"tenants\":[\"tenant-a\",\"tenant-b\"]},"
            + "{\"id\":\"job-other\",\"base_url\":\"http://127.0.0.1:9/v1\",\"concurrency\":4,\"tenants\":[\"tenant-a\"]},"
            + "{\"id\":\"job-b-only\",\"base_url\":\"http://127.0.0.1:9/v1\",\"tenants\":[\"tenant-b\"]}]}";

    public final InMemoryFileRepository fileRecords = new InMemoryFileRepository();
    public final InMemoryBatchRepository batchRecords = new InMemoryBatchRepository();
    public final InMemoryContentStore content = new InMemoryContentStore();
    public final InMemoryUploadRepository uploadRecords = new InMemoryUploadRepository();
    public final MutableClock clock = new MutableClock(Instant.parse("2026-11-21T12:00:00Z"));
    public final List<String> launched = new CopyOnWriteArrayList<>();
    public final Files files;
    public final Batches batches;
    public final Uploads uploads;
    public final RetryBatch retry;
    public final InMemoryChunkStore chunks = new InMemoryChunkStore();
    public final BatchResults results;
    public final OpenAiApi api;

    public TestApi() {
        this(JOBS);
    }

    public TestApi(String jobs) {
        Ids ids = new Ids(Clock.systemUTC());
        files = new Files(fileRecords, content, ids, clock);
        batches = new Batches(
                batchRecords,
                fileRecords,
                JobCatalog.fromJson(jobs),
                (tenant, id) -> launched.add(id),
                Batches.WINDOW_24H,
                ids,
                clock);
        uploads = new Uploads(uploadRecords, files, content, ids, clock);
        retry = new RetryBatch(batches, files, content, ids);
        results = new BatchResults(batchRecords, files, content, chunks);
        api = new OpenAiApi(
                files, batches, uploads, retry, results, null, new BatchReports(batchRecords, content, chunks, clock));
    }

    public ApiResponse send(String method, String path) {
        return send(method, path, Map.of(), Map.of(), new byte[0]);
    }

    public ApiResponse sendJson(String method, String path, String json) {
        return send(
                method,
                path,
                Map.of(),
                Map.of("content-type", "application/json"),
                json.getBytes(StandardCharsets.UTF_8));
    }

    public ApiResponse send(
            String method, String path, Map<String, String> query, Map<String, String> headers, byte[] body) {
        return api.handle(new ApiRequest(method, path, query, headers, body, TENANT));
    }

    /** Uploads {@code jsonl} as a batch input and creates a batch of it: the batch's id. */
    public String createBatch(String jsonl, String endpoint, String window) {
        String fileId =
                Responses.json(upload("in.jsonl", "batch", jsonl)).get("id").asText();
        return Responses.json(sendJson(
                        "POST",
                        "/v1/batches",
                        "{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"" + endpoint
                                + "\",\"completion_window\":\"" + window + "\"}"))
                .get("id")
                .asText();
    }

    /**
     * Each custom id in a batch's two files, with how it ended: "" in the output file, else its error
     * code, or {@code http_NNN} for an endpoint's refusal. Fails when an id ends twice.
     */
    public Map<String, String> endings(Batch batch) {
        Map<String, String> endings = new HashMap<>();
        for (String fileId : new String[] {batch.outputFileId(), batch.errorFileId()}) {
            if (fileId == null) {
                continue;
            }
            for (String text :
                    new String(content.objects.get(Files.contentKey(fileId)), StandardCharsets.UTF_8).split("\n")) {
                JsonNode line;
                try {
                    line = Json.MAPPER.readTree(text);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                String ending = fileId.equals(batch.outputFileId())
                        ? ""
                        : line.get("error").isNull()
                                ? "http_" + line.at("/response/status_code").asInt()
                                : line.at("/error/code").asText();
                assertThat(endings.put(line.get("custom_id").asText(), ending))
                        .as("custom id " + line.get("custom_id") + " ends once")
                        .isNull();
            }
        }
        return endings;
    }

    public ApiResponse upload(String filename, String purpose, String content) {
        return send(
                "POST",
                "/v1/files",
                Map.of(),
                Map.of("content-type", "multipart/form-data; boundary=XyZ"),
                form("XyZ", purpose, filename, content.getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code POST /v1/uploads/{id}/parts} with the bytes as the SDKs send them: a multipart {@code data} part. */
    public ApiResponse addPart(String uploadId, byte[] data) {
        ByteArrayOutputStream form = new ByteArrayOutputStream();
        form.writeBytes(("--XyZ\r\nContent-Disposition: form-data; name=\"data\"; filename=\"data\"\r\n"
                        + "Content-Type: application/octet-stream\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        form.writeBytes(data);
        form.writeBytes("\r\n--XyZ--\r\n".getBytes(StandardCharsets.UTF_8));
        return send(
                "POST",
                "/v1/uploads/" + uploadId + "/parts",
                Map.of(),
                Map.of("content-type", "multipart/form-data; boundary=XyZ"),
                form.toByteArray());
    }

    /** A multipart form as the SDKs send it: a purpose field and a file part. */
    public static byte[] form(String boundary, String purpose, String filename, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (purpose != null) {
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + purpose
                            + "\r\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        if (filename != null) {
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                            + filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.writeBytes(content);
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
