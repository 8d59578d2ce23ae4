package dev.openbatch.core.batches;

import static dev.openbatch.core.fakes.Responses.error;
import static dev.openbatch.core.fakes.Responses.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.fakes.TestApi;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.http.ApiRequest;
import dev.openbatch.core.http.ApiResponse;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryBatchTest {

    private final TestApi t = new TestApi();

    /** Lines as a user may write them: odd spacing, escapes, key order, a CRLF end, a BOM first. */
    private static final String LINE_1 =
            "\uFEFF{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                    + "\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"one\"}]}}";

    private static final String LINE_2 = "{ \"body\" : {\"model\":\"m\",\"custom_id\":\"not-this\",\"messages\":"
            + "[{\"role\":\"user\",\"content\":\"caf\\u00e9 \u00e9\"}]}, \"url\":\"/v1/chat/completions\","
            + " \"method\":\"POST\", \"custom_id\":\"b\" }";
    private static final String LINE_3 = "{\"custom_id\":\"c\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
            + "\"body\":{\"model\":\"m\",\"messages\":[]}}";
    private static final String LINE_4 = "{\"custom_id\":\"d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
            + "\"body\":{\"model\":\"m\",\"n\":1.50}}";
    private static final String INPUT = LINE_1 + "\n" + LINE_2 + "\r\n\n   \n" + LINE_3 + "\n" + LINE_4;

    private static String errorLine(String customId, String error) {
        return "{\"id\":\"batch_req_" + customId + "\",\"custom_id\":\"" + customId + "\",\"response\":" + error
                + "}\n";
    }

    /** A batch over INPUT, ended as the finalizer ends one, with the error file holding these lines. */
    private Batch endedBatch(String status, String errorFile) {
        return endedBatch(INPUT.getBytes(StandardCharsets.UTF_8), status, errorFile);
    }

    private Batch endedBatch(byte[] inputBytes, String status, String errorFile) {
        String inputId = t.files
                .store(
                        TestApi.TENANT,
                        "in.jsonl",
                        inputBytes.length,
                        key -> t.content.put(key, inputBytes, Files.JSONL))
                .id();
        String id = json(t.sendJson(
                        "POST",
                        "/v1/batches",
                        "{\"input_file_id\":\"" + inputId
                                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\","
                                + "\"job_id\":\"job-other\"}"))
                .get("id")
                .asText();
        t.batchRecords.transition(
                TestApi.TENANT, id, Set.of("validating"), "in_progress", Map.of("in_progress_at", 1L), 4L, null);
        if (errorFile != null) {
            String errorId = t.batchRecords.reserveFileId(TestApi.TENANT, id, "error_file_id", "file-errors-" + id);
            byte[] bytes = errorFile.getBytes(StandardCharsets.UTF_8);
            t.content.put(Files.contentKey(errorId), bytes, Files.JSONL);
            t.fileRecords.create(
                    TestApi.TENANT, FileObject.stored(errorId, bytes.length, 1, id + "_error.jsonl", "batch_output"));
        }
        if (status != null) {
            t.batchRecords.transition(
                    TestApi.TENANT, id, Set.of("in_progress"), status, Map.of("completed_at", 2L), null, null);
        }
        return t.batchRecords.find(TestApi.TENANT, id).orElseThrow();
    }

    private ApiResponse retry(String batchId, String body) {
        return t.api.handle(new ApiRequest(
                "POST",
                "/v1/batches/" + batchId + "/retry",
                Map.of(),
                Map.of("content-type", "application/json"),
                body.getBytes(StandardCharsets.UTF_8),
                TestApi.TENANT));
    }

    private String content(String fileId) {
        return new String(t.content.objects.get(Files.contentKey(fileId)), StandardCharsets.UTF_8);
    }

    @Test
    void retry_ofAnEndedBatch_runsExactlyItsFailedLines_asTheInputHasThem_byteForByte() {
        Batch original = endedBatch(
                "completed",
                errorLine(
                                "d",
                                "{\"status_code\":400,\"request_id\":\"r\",\"body\":{\"custom_id\":\"c\"}},\"error\":null")
                        + errorLine("b", "null,\"error\":{\"code\":\"batch_expired\",\"message\":\"x\"}")
                        + errorLine("a", "null,\"error\":{\"code\":\"chunk_failed\",\"message\":\"y\"}"));

        ApiResponse response = retry(original.id(), "");

        assertThat(response.status()).isEqualTo(200);
        JsonNode retried = json(response);
        assertThat(retried.get("id").asText()).startsWith("batch_").isNotEqualTo(original.id());
        assertThat(retried.get("status").asText()).isEqualTo("validating");
        assertThat(retried.get("endpoint").asText()).isEqualTo(original.endpoint());
        assertThat(retried.get("completion_window").asText()).isEqualTo(original.completionWindow());
        assertThat(retried.get("job_id").asText()).isEqualTo("job-other");
        assertThat(retried.get("metadata").properties())
                .containsExactly(
                        Map.entry("retry_of", json(response).get("metadata").get("retry_of")));
        assertThat(retried.get("metadata").get("retry_of").asText()).isEqualTo(original.id());
        assertThat(t.launched).contains(retried.get("id").asText());

        String inputId = retried.get("input_file_id").asText();
        FileObject input = t.fileRecords.find(TestApi.TENANT, inputId).orElseThrow();
        assertThat(input.purpose()).isEqualTo("batch");
        assertThat(input.filename()).isEqualTo("retry-of-" + original.id() + ".jsonl");
        // In the input's order, not the error file's; the line whose body names custom_id "c" is d's only.
        String expected = LINE_1.substring(1) + "\n" + LINE_2 + "\n" + LINE_4 + "\n";
        assertThat(content(inputId)).isEqualTo(expected);
        assertThat(input.bytes()).isEqualTo(expected.getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void retry_withMetadata_keepsItBesideRetryOf_whichItCannotReplace() {
        Batch original = endedBatch("expired", errorLine("c", "null,\"error\":{\"code\":\"batch_expired\"}"));

        JsonNode retried =
                json(retry(original.id(), "{\"metadata\":{\"owner\":\"ana\",\"retry_of\":\"batch_forged\"}}"));

        assertThat(retried.get("metadata").get("owner").asText()).isEqualTo("ana");
        assertThat(retried.get("metadata").get("retry_of").asText()).isEqualTo(original.id());
        assertThat(content(retried.get("input_file_id").asText())).isEqualTo(LINE_3 + "\n");
    }

    @Test
    void retry_withSixteenMetadataPairs_is400_forRetryOfNeedsTheSeventeenth_andWritesNothing() {
        Batch original = endedBatch("completed", errorLine("c", "null,\"error\":{\"code\":\"batch_expired\"}"));
        StringBuilder metadata = new StringBuilder("{\"metadata\":{");
        for (int i = 0; i < 16; i++) {
            metadata.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        int filesBefore = t.content.objects.size();

        JsonNode error = error(retry(original.id(), metadata.append("}}").toString()), 400);

        assertThat(error.get("param").asText()).isEqualTo("metadata");
        assertThat(error.get("code").asText()).isEqualTo("object_above_max_properties");
        assertThat(t.content.objects).hasSize(filesBefore);
    }

    @Test
    void retry_ofABatchStillRunning_is400_batchNotEnded() {
        Batch running = endedBatch(null, null);

        JsonNode error = error(retry(running.id(), ""), 400);

        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").asText()).isEqualTo("batch_not_ended");
        assertThat(error.get("param").isNull()).isTrue();
        assertThat(error.get("message").asText()).contains("in_progress");
    }

    @Test
    void retry_ofABatchWithNoErrorFile_orAnEmptyOne_is400_noFailedRequests() {
        for (String errors : new String[] {null, ""}) {
            Batch clean = endedBatch("completed", errors);

            JsonNode error = error(retry(clean.id(), ""), 400);

            assertThat(error.get("code").asText()).isEqualTo("batch_has_no_failed_requests");
            assertThat(error.get("param").isNull()).isTrue();
        }
    }

    @Test
    void retry_ofAnotherTenantsBatch_is404_asIfItDidNotExist() {
        Batch theirs = endedBatch("completed", errorLine("a", "null,\"error\":{\"code\":\"batch_expired\"}"));

        ApiResponse response = t.api.handle(new ApiRequest(
                "POST",
                "/v1/batches/" + theirs.id() + "/retry",
                Map.of(),
                Map.of(),
                new byte[0],
                TestApi.OTHER_TENANT));

        assertThat(error(response, 404).get("param").asText()).isEqualTo("batch_id");
    }

    @Test
    void retry_ofTheLargestInput_copiesOnlyTheFailedLines_streamingBothFiles() {
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 50_000; i++) {
            String line = "{\"custom_id\":\"r-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                    + "\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(i % 50)
                    + "\"}]}}";
            input.writeBytes((line + "\n").getBytes(StandardCharsets.UTF_8));
            if (i % 7 == 3) {
                errors.writeBytes(errorLine("r-" + i, "null,\"error\":{\"code\":\"batch_expired\"}")
                        .getBytes(StandardCharsets.UTF_8));
                expected.append(line).append('\n');
            }
        }
        Batch original = endedBatch(input.toByteArray(), "completed", errors.toString(StandardCharsets.UTF_8));

        JsonNode retried = json(retry(original.id(), ""));

        assertThat(content(retried.get("input_file_id").asText())).isEqualTo(expected.toString());
        assertThat(List.of(retried.get("status").asText())).containsExactly("validating");
    }
}
