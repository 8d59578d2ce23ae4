package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.HttpResponse;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.batches.BatchRequestCounts;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import com.openai.models.uploads.UploadCompleteParams;
import com.openai.models.uploads.UploadCreateParams;
import com.openai.models.uploads.parts.PartCreateParams;
import dev.openbatch.core.Json;
import dev.openbatch.core.uploads.Uploads;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/** What a user does with the OpenAI Java SDK: upload a file, create a batch, read its output and error files. */
final class SdkBatches {

    private SdkBatches() {}

    /** Uploads the JSONL and creates a batch of it, as a user does with the SDK; answers the batch id. */
    static String submit(OpenAIClient client, String endpoint, String jsonl) {
        return submit(client, endpoint, jsonl.getBytes(StandardCharsets.UTF_8));
    }

    /** As {@link #submit(OpenAIClient, String, String)}, for a file of any bytes, UTF-8 or not. */
    static String submit(OpenAIClient client, String endpoint, byte[] jsonl) {
        return create(client, endpoint, upload(client, jsonl));
    }

    /**
     * Uploads the bytes as a {@code .jsonl} file of purpose {@code batch}, as a user does: in one
     * request where one request can carry it, else with the Uploads API in parts of the largest size.
     * Answers the file id.
     */
    static String upload(OpenAIClient client, byte[] jsonl) {
        if (jsonl.length > dev.openbatch.core.files.Files.MAX_SINGLE_REQUEST_BYTES) {
            String uploadId = client.uploads()
                    .create(UploadCreateParams.builder()
                            .bytes(jsonl.length)
                            .filename("requests.jsonl")
                            .mimeType("text/jsonl")
                            .purpose(FilePurpose.BATCH)
                            .build())
                    .id();
            List<String> partIds = new ArrayList<>();
            for (int from = 0; from < jsonl.length; from += (int) Uploads.MAX_PART_BYTES) {
                byte[] part =
                        Arrays.copyOfRange(jsonl, from, (int) Math.min(jsonl.length, from + Uploads.MAX_PART_BYTES));
                partIds.add(client.uploads()
                        .parts()
                        .create(uploadId, PartCreateParams.builder().data(part).build())
                        .id());
            }
            return client.uploads()
                    .complete(
                            uploadId,
                            UploadCompleteParams.builder().partIds(partIds).build())
                    .file()
                    .orElseThrow()
                    .id();
        }
        try {
            Path input = Files.createTempFile("requests", ".jsonl");
            Files.write(input, jsonl);
            String fileId = client.files()
                    .create(FileCreateParams.builder()
                            .file(input)
                            .purpose(FilePurpose.BATCH)
                            .build())
                    .id();
            Files.delete(input);
            return fileId;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates a batch of an uploaded file, on the deployment's default job; answers the batch id. */
    static String create(OpenAIClient client, String endpoint, String fileId) {
        return client.batches()
                .create(BatchCreateParams.builder()
                        .inputFileId(fileId)
                        .endpoint(BatchCreateParams.Endpoint.of(endpoint))
                        .completionWindow(BatchCreateParams.CompletionWindow._24H)
                        .build())
                .id();
    }

    /** As {@link #create}, on the job {@code jobId}, given as the SDK gives an extra field ({@code job_id}). */
    static String create(OpenAIClient client, String endpoint, String fileId, String jobId) {
        return client.batches()
                .create(BatchCreateParams.builder()
                        .inputFileId(fileId)
                        .endpoint(BatchCreateParams.Endpoint.of(endpoint))
                        .completionWindow(BatchCreateParams.CompletionWindow._24H)
                        .putAdditionalBodyProperty("job_id", com.openai.core.JsonValue.from(jobId))
                        .build())
                .id();
    }

    /** Submits {@code count} lines of {@code endpoint} whose custom ids are {@code <endpoint>-<i>}; answers the batch id. */
    static String submit(OpenAIClient client, String endpoint, int count, IntFunction<String> body) {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < count; i++) {
            file.append("{\"custom_id\":\"")
                    .append(endpoint)
                    .append("-")
                    .append(i)
                    .append("\",\"method\":\"POST\",")
                    .append("\"url\":\"")
                    .append(endpoint)
                    .append("\",\"body\":")
                    .append(body.apply(i))
                    .append("}\n");
        }
        return submit(client, endpoint, file.toString());
    }

    static List<JsonNode> lines(OpenAIClient client, String fileId) {
        if (fileId == null) {
            return List.of();
        }
        try (HttpResponse content = client.files().content(fileId);
                InputStream body = content.body()) {
            List<JsonNode> lines = new ArrayList<>();
            for (String line : new String(body.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .toList()) {
                lines.add(Json.MAPPER.readTree(line));
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every custom id of the batch, with where it ended: each must end exactly once. */
    static Map<String, JsonNode> endings(OpenAIClient client, Batch batch, int expected) {
        Map<String, JsonNode> byId = new HashMap<>();
        List<JsonNode> all = new ArrayList<>(lines(client, batch.outputFileId().orElse(null)));
        all.addAll(lines(client, batch.errorFileId().orElse(null)));
        for (JsonNode line : all) {
            assertThat(byId.put(line.get("custom_id").asText(), line))
                    .as("custom_id %s twice", line.get("custom_id"))
                    .isNull();
        }
        assertThat(byId).hasSize(expected);
        BatchRequestCounts counts = batch.requestCounts().orElseThrow();
        assertThat(counts.total()).isEqualTo(expected);
        assertThat(counts.completed() + counts.failed()).isEqualTo(expected);
        assertThat(lines(client, batch.outputFileId().orElse(null))).hasSize((int) counts.completed());
        return byId;
    }
}
