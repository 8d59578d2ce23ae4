package dev.openbatch.core.files;

import static dev.openbatch.core.fakes.Responses.error;
import static dev.openbatch.core.fakes.Responses.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.fakes.TestApi;
import dev.openbatch.core.http.ApiRequest;
import dev.openbatch.core.http.ApiResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FilesTest {

    private static final String LINE =
            "{\"custom_id\":\"r1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n";

    private final TestApi t = new TestApi();

    @Test
    void upload_aJsonlBatchFile_storesBytesAndRecord_andAnswersAFileObject() {
        ApiResponse response = t.upload("requests.jsonl", "batch", LINE);

        assertThat(response.status()).isEqualTo(200);
        JsonNode file = json(response);
        assertThat(file.get("id").asText()).startsWith("file-");
        assertThat(file.get("object").asText()).isEqualTo("file");
        assertThat(file.get("bytes").asLong()).isEqualTo(LINE.getBytes(StandardCharsets.UTF_8).length);
        assertThat(file.get("created_at").asLong()).isEqualTo(t.clock.instant().getEpochSecond());
        assertThat(file.get("filename").asText()).isEqualTo("requests.jsonl");
        assertThat(file.get("purpose").asText()).isEqualTo("batch");
        assertThat(file.get("status").asText()).isEqualTo("processed");
        assertThat(t.content.objects.get(Files.contentKey(file.get("id").asText())))
                .isEqualTo(LINE.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void upload_withoutPurpose_is400MissingParameter() {
        ApiResponse response = t.send(
                "POST",
                "/v1/files",
                Map.of(),
                Map.of("content-type", "multipart/form-data; boundary=B"),
                TestApi.form("B", null, "a.jsonl", LINE.getBytes(StandardCharsets.UTF_8)));
        JsonNode e = error(response, 400);
        assertThat(e.get("param").asText()).isEqualTo("purpose");
        assertThat(e.get("code").asText()).isEqualTo("missing_required_parameter");
        assertNothingStored();
    }

    @Test
    void upload_withoutFile_is400MissingParameter() {
        JsonNode e = error(t.upload(null, "batch", ""), 400);
        assertThat(e.get("message").asText()).isEqualTo("Missing required parameter: 'file'.");
        assertNothingStored();
    }

    @Test
    void upload_withAnotherPurpose_is400() {
        JsonNode e = error(t.upload("a.jsonl", "fine-tune", LINE), 400);
        assertThat(e.get("message").asText()).isEqualTo("'fine-tune' is not one of ['batch'] - 'purpose'");
        assertThat(e.get("param").asText()).isEqualTo("purpose");
        assertNothingStored();
    }

    @Test
    void upload_ofANonJsonlFile_is400() {
        JsonNode e = error(t.upload("a.csv", "batch", "a,b\n"), 400);
        assertThat(e.get("message").asText()).contains("Must be .jsonl");
        assertNothingStored();
    }

    @Test
    void upload_overTheSingleRequestLimit_is413PointingToUploads() {
        String big = "x".repeat((int) Files.MAX_SINGLE_REQUEST_BYTES + 1);
        JsonNode e = error(t.upload("big.jsonl", "batch", big), 413);
        assertThat(e.get("message").asText()).contains("/v1/uploads");
        assertNothingStored();
    }

    @Test
    void upload_whenTheRecordCannotBeWritten_removesTheBytesAgain() {
        t.fileRecords.failCreateWith = new IllegalStateException("table unavailable");
        error(t.upload("a.jsonl", "batch", LINE), 500);
        assertNothingStored();
    }

    @Test
    void upload_ofATruncatedForm_is400() {
        byte[] form = TestApi.form("B", "batch", "a.jsonl", LINE.getBytes(StandardCharsets.UTF_8));
        ApiResponse response = t.send(
                "POST",
                "/v1/files",
                Map.of(),
                Map.of("content-type", "multipart/form-data; boundary=B"),
                Arrays.copyOf(form, form.length / 2));
        error(response, 400);
        assertNothingStored();
    }

    @Test
    void retrieve_content_delete_roundTrip() {
        String id = json(t.upload("a.jsonl", "batch", LINE)).get("id").asText();

        assertThat(json(t.send("GET", "/v1/files/" + id)).get("id").asText()).isEqualTo(id);
        ApiResponse content = t.send("GET", "/v1/files/" + id + "/content");
        assertThat(content.status()).isEqualTo(200);
        assertThat(new String(content.body(), StandardCharsets.UTF_8)).isEqualTo(LINE);

        JsonNode deleted = json(t.send("DELETE", "/v1/files/" + id));
        assertThat(deleted.toString()).isEqualTo("{\"id\":\"" + id + "\",\"object\":\"file\",\"deleted\":true}");
        assertNothingStored();

        for (String path : new String[] {"/v1/files/" + id, "/v1/files/" + id + "/content"}) {
            JsonNode e = error(t.send("GET", path), 404);
            assertThat(e.get("message").asText()).isEqualTo("No such File object: " + id);
        }
        error(t.send("DELETE", "/v1/files/" + id), 404);
    }

    @Test
    void content_upToTheInlineLimit_isTheBytes_andBeyond_aRedirectToAShortLivedUrl() {
        byte[] small = new byte[(int) Files.MAX_INLINE_CONTENT_BYTES];
        byte[] large = new byte[(int) Files.MAX_INLINE_CONTENT_BYTES + 1];
        String smallId = t.files
                .store(TestApi.TENANT, "small.jsonl", small.length, key -> t.content.put(key, small, Files.JSONL))
                .id();
        String largeId = t.files
                .store(TestApi.TENANT, "large.jsonl", large.length, key -> t.content.put(key, large, Files.JSONL))
                .id();

        ApiResponse inline = t.send("GET", "/v1/files/" + smallId + "/content");
        assertThat(inline.status()).isEqualTo(200);
        assertThat(inline.body()).isEqualTo(small);

        ApiResponse redirect = t.send("GET", "/v1/files/" + largeId + "/content");
        assertThat(redirect.status()).isEqualTo(302);
        assertThat(redirect.headers())
                .containsEntry("location", "https://content.test/" + Files.contentKey(largeId) + "?validity=300");
        assertThat(redirect.body()).isEmpty();
        error(
                t.api.handle(new ApiRequest(
                        "GET", "/v1/files/" + largeId + "/content", Map.of(), Map.of(), null, "tenant-b")),
                404);
    }

    @Test
    void store_whenWritingTheBytesFails_removesWhatWasWritten_andWritesNoRecord() {
        assertThatThrownBy(() -> t.files.store(TestApi.TENANT, "a.jsonl", 3, key -> {
                    t.content.put(key, new byte[3], Files.JSONL);
                    throw new IllegalStateException("digest mismatch");
                }))
                .hasMessage("digest mismatch");
        assertNothingStored();
    }

    @Test
    void filesOfAnotherTenant_areNotFound() {
        String id = json(t.upload("a.jsonl", "batch", LINE)).get("id").asText();
        for (String[] call : new String[][] {
            {"GET", "/v1/files/" + id}, {"GET", "/v1/files/" + id + "/content"}, {"DELETE", "/v1/files/" + id}
        }) {
            ApiResponse response = t.api.handle(new ApiRequest(call[0], call[1], Map.of(), Map.of(), null, "tenant-b"));
            error(response, 404);
        }
        ApiResponse list = t.api.handle(new ApiRequest("GET", "/v1/files", Map.of(), Map.of(), null, "tenant-b"));
        assertThat(json(list).get("data")).isEmpty();
        assertThat(t.fileRecords.size()).isEqualTo(1);
    }

    @Test
    void list_pagesNewestFirst_withCursorAndOrder() throws InterruptedException {
        String[] ids = new String[3];
        for (int i = 0; i < 3; i++) {
            ids[i] = json(t.upload("f" + i + ".jsonl", "batch", LINE)).get("id").asText();
            Thread.sleep(2); // ids order by millisecond
        }
        JsonNode first = json(t.send("GET", "/v1/files", Map.of("limit", "2"), Map.of(), null));
        assertThat(first.get("object").asText()).isEqualTo("list");
        assertThat(first.get("data")).extracting(f -> f.get("id").asText()).containsExactly(ids[2], ids[1]);
        assertThat(first.get("first_id").asText()).isEqualTo(ids[2]);
        assertThat(first.get("last_id").asText()).isEqualTo(ids[1]);
        assertThat(first.get("has_more").asBoolean()).isTrue();

        JsonNode second = json(t.send("GET", "/v1/files", Map.of("limit", "2", "after", ids[1]), Map.of(), null));
        assertThat(second.get("data")).extracting(f -> f.get("id").asText()).containsExactly(ids[0]);
        assertThat(second.get("has_more").asBoolean()).isFalse();

        JsonNode ascending = json(t.send("GET", "/v1/files", Map.of("order", "asc"), Map.of(), null));
        assertThat(ascending.get("data")).extracting(f -> f.get("id").asText()).containsExactly(ids);

        JsonNode empty = json(t.send("GET", "/v1/files", Map.of("purpose", "batch_output"), Map.of(), null));
        assertThat(empty.get("data")).isEmpty();
        assertThat(empty.get("first_id").isNull()).isTrue();
        assertThat(empty.get("has_more").asBoolean()).isFalse();
    }

    @Test
    void list_withBadLimitOrOrder_is400() {
        assertThat(error(t.send("GET", "/v1/files", Map.of("limit", "0"), Map.of(), null), 400)
                        .get("param")
                        .asText())
                .isEqualTo("limit");
        assertThat(error(t.send("GET", "/v1/files", Map.of("limit", "ten"), Map.of(), null), 400)
                        .get("code")
                        .asText())
                .isEqualTo("invalid_type");
        assertThat(error(t.send("GET", "/v1/files", Map.of("order", "sideways"), Map.of(), null), 400)
                        .get("param")
                        .asText())
                .isEqualTo("order");
    }

    private void assertNothingStored() {
        assertThat(t.content.objects).isEmpty();
        assertThat(t.fileRecords.size()).isZero();
    }
}
