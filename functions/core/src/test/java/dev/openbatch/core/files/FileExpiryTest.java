package dev.openbatch.core.files;

import static dev.openbatch.core.fakes.Responses.error;
import static dev.openbatch.core.fakes.Responses.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.fakes.TestApi;
import dev.openbatch.core.http.ApiResponse;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code expires_after} on files and uploads, and {@code output_expires_after} on batches, as OpenAI has them. */
class FileExpiryTest {

    private static final String LINE =
            "{\"custom_id\":\"r1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\"}}\n";

    private final TestApi t = new TestApi();

    /** {@code POST /v1/files} as the SDKs send an {@code expires_after}: one form field per key, in brackets. */
    private ApiResponse upload(String anchor, String seconds) {
        ByteArrayOutputStream form = new ByteArrayOutputStream();
        byte[] base = TestApi.form("XyZ", "batch", "in.jsonl", LINE.getBytes(StandardCharsets.UTF_8));
        // The form without its closing boundary, then the expiry's fields, then the boundary.
        String closing = "--XyZ--\r\n";
        form.write(base, 0, base.length - closing.length());
        if (anchor != null) {
            form.writeBytes(field("expires_after[anchor]", anchor));
        }
        if (seconds != null) {
            form.writeBytes(field("expires_after[seconds]", seconds));
        }
        form.writeBytes(closing.getBytes(StandardCharsets.UTF_8));
        return t.send(
                "POST",
                "/v1/files",
                Map.of(),
                Map.of("content-type", "multipart/form-data; boundary=XyZ"),
                form.toByteArray());
    }

    private static byte[] field(String name, String value) {
        return ("--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    private long now() {
        return t.clock.instant().getEpochSecond();
    }

    @Test
    void aFileWithExpiresAfter_expiresThatLongAfterItsCreation() {
        JsonNode file = json(upload("created_at", "3600"));

        assertThat(file.get("expires_at").asLong()).isEqualTo(now() + 3600);
        assertThat(json(t.send("GET", "/v1/files/" + file.get("id").asText()))
                        .get("expires_at")
                        .asLong())
                .isEqualTo(now() + 3600);
    }

    @Test
    void pastItsExpiresAt_aFileIsGone_forRetrieveContentDeleteListAndAsABatchInput() {
        String id = json(upload("created_at", "3600")).get("id").asText();
        String kept = json(t.upload("kept.jsonl", "batch", LINE)).get("id").asText();
        t.clock.advance(Duration.ofSeconds(3599));
        assertThat(t.send("GET", "/v1/files/" + id).status())
                .as("a second before")
                .isEqualTo(200);

        t.clock.advance(Duration.ofSeconds(1));

        assertThat(error(t.send("GET", "/v1/files/" + id), 404).get("message").asText())
                .isEqualTo("No such File object: " + id);
        error(t.send("GET", "/v1/files/" + id + "/content"), 404);
        error(t.send("DELETE", "/v1/files/" + id), 404);
        JsonNode listed = json(t.send("GET", "/v1/files")).get("data");
        assertThat(listed).extracting(f -> f.get("id").asText()).containsExactly(kept);
        JsonNode batch = error(
                t.sendJson(
                        "POST",
                        "/v1/batches",
                        "{\"input_file_id\":\"" + id
                                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"),
                404);
        assertThat(batch.get("param").asText()).isEqualTo("input_file_id");
    }

    @Test
    void theSweepersRemoval_takesTheRecordAndTheBytesOfExpiredFilesOnly() {
        String id = json(upload("created_at", "3600")).get("id").asText();
        String kept = json(t.upload("kept.jsonl", "batch", LINE)).get("id").asText();
        assertThat(t.files.removeExpired(t.fileRecords, 100)).as("not yet").isZero();

        t.clock.advance(Duration.ofHours(1));

        assertThat(t.files.removeExpired(t.fileRecords, 100)).isEqualTo(1);
        assertThat(t.fileRecords.find(TestApi.TENANT, id)).isEmpty();
        assertThat(t.content.objects).doesNotContainKey(Files.contentKey(id)).containsKey(Files.contentKey(kept));
        assertThat(t.files.removeExpired(t.fileRecords, 100))
                .as("nothing twice")
                .isZero();
    }

    @Test
    void badExpiresAfter_isOpenAis400_namingTheParameter_andStoresNothing() {
        JsonNode low = error(upload("created_at", "60"), 400);
        assertThat(low.get("param").asText()).isEqualTo("expires_after.seconds");
        assertThat(low.get("code").asText()).isEqualTo("integer_below_min_value");
        assertThat(low.get("message").asText())
                .isEqualTo("Invalid 'expires_after.seconds': integer below minimum value. Expected a value >= 3600,"
                        + " but got 60 instead.");

        JsonNode high = error(upload("created_at", "2592001"), 400);
        assertThat(high.get("code").asText()).isEqualTo("integer_above_max_value");
        assertThat(high.get("param").asText()).isEqualTo("expires_after.seconds");

        JsonNode anchor = error(upload("last_used_at", "3600"), 400);
        assertThat(anchor.get("param").asText()).isEqualTo("expires_after.anchor");
        assertThat(anchor.get("message").asText())
                .isEqualTo("'last_used_at' is not one of ['created_at'] - 'expires_after.anchor'");

        assertThat(error(upload("created_at", null), 400).get("param").asText()).isEqualTo("expires_after.seconds");
        assertThat(error(upload("created_at", "soon"), 400).get("code").asText())
                .isEqualTo("invalid_type");
        assertThat(t.fileRecords.size()).isZero();
        assertThat(t.content.objects).isEmpty();
    }

    @Test
    void anUploadsExpiresAfter_setsItsFilesExpiresAt_countedFromTheFilesCreation() {
        String uploadId = json(t.sendJson(
                        "POST",
                        "/v1/uploads",
                        "{\"bytes\":" + LINE.length() + ",\"filename\":\"in.jsonl\",\"mime_type\":\"text/jsonl\","
                                + "\"purpose\":\"batch\",\"expires_after\":{\"anchor\":\"created_at\",\"seconds\":7200}}"))
                .get("id")
                .asText();
        String partId = json(t.addPart(uploadId, LINE.getBytes(StandardCharsets.UTF_8)))
                .get("id")
                .asText();
        t.clock.advance(Duration.ofMinutes(10));

        JsonNode completed = json(
                t.sendJson("POST", "/v1/uploads/" + uploadId + "/complete", "{\"part_ids\":[\"" + partId + "\"]}"));

        assertThat(completed.at("/file/expires_at").asLong()).isEqualTo(now() + 7200);
        assertThat(completed.has("file_expires_after")).as("not OpenAI's field").isFalse();
    }

    @Test
    void anUploadsBadExpiresAfter_isRefusedWhenCreated() {
        JsonNode e = error(
                t.sendJson(
                        "POST",
                        "/v1/uploads",
                        "{\"bytes\":10,\"filename\":\"in.jsonl\",\"mime_type\":\"text/jsonl\",\"purpose\":\"batch\","
                                + "\"expires_after\":{\"anchor\":\"created_at\",\"seconds\":3599}}"),
                400);
        assertThat(e.get("param").asText()).isEqualTo("expires_after.seconds");
    }

    @Test
    void aBatchsOutputExpiresAfter_isCheckedAsOpenAiChecksIt_andNotShownOnTheBatch() {
        String input = json(t.upload("in.jsonl", "batch", LINE)).get("id").asText();
        String body = "{\"input_file_id\":\"" + input + "\",\"endpoint\":\"/v1/chat/completions\","
                + "\"completion_window\":\"24h\",\"output_expires_after\":";

        JsonNode e =
                error(t.sendJson("POST", "/v1/batches", body + "{\"anchor\":\"created_at\",\"seconds\":10}}"), 400);
        assertThat(e.get("param").asText()).isEqualTo("output_expires_after.seconds");
        JsonNode missing = error(t.sendJson("POST", "/v1/batches", body + "{\"seconds\":3600}}"), 400);
        assertThat(missing.get("param").asText()).isEqualTo("output_expires_after.anchor");
        assertThat(t.batchRecords.size()).isZero();

        JsonNode batch =
                json(t.sendJson("POST", "/v1/batches", body + "{\"anchor\":\"created_at\",\"seconds\":86400}}"));
        assertThat(batch.has("output_expires_after")).isFalse();
        assertThat(t.batchRecords
                        .find(TestApi.TENANT, batch.get("id").asText())
                        .orElseThrow()
                        .outputExpiresAfter())
                .isEqualTo(86400L);
    }
}
