package dev.openbatch.core.uploads;

import static dev.openbatch.core.fakes.Responses.error;
import static dev.openbatch.core.fakes.Responses.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.fakes.TestApi;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.http.ApiRequest;
import dev.openbatch.core.http.ApiResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UploadsTest {

    private static final String FIRST =
            "{\"custom_id\":\"r1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n";
    private static final String SECOND =
            "{\"custom_id\":\"r2\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n";
    private static final String THIRD =
            "{\"custom_id\":\"r3\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n";
    private static final String FILE = FIRST + SECOND + THIRD;

    private final TestApi t = new TestApi();

    private ApiResponse create(String body) {
        return t.sendJson("POST", "/v1/uploads", body);
    }

    private String createUpload(long bytes) {
        return json(create("{\"bytes\":" + bytes + ",\"filename\":\"requests.jsonl\",\"mime_type\":\"text/jsonl\","
                        + "\"purpose\":\"batch\"}"))
                .get("id")
                .asText();
    }

    private String addPart(String uploadId, String data) {
        ApiResponse response = t.addPart(uploadId, data.getBytes(StandardCharsets.UTF_8));
        assertThat(response.status())
                .as("add part: %s", new String(response.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        return json(response).get("id").asText();
    }

    private ApiResponse complete(String uploadId, List<String> partIds, String md5) {
        StringBuilder body = new StringBuilder("{\"part_ids\":[");
        for (int i = 0; i < partIds.size(); i++) {
            body.append(i == 0 ? "" : ",").append('"').append(partIds.get(i)).append('"');
        }
        body.append(']').append(md5 == null ? "" : ",\"md5\":\"" + md5 + "\"").append('}');
        return t.sendJson("POST", "/v1/uploads/" + uploadId + "/complete", body.toString());
    }

    private static String md5(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private List<String> partKeys(String uploadId) {
        return t.content.objects.keySet().stream()
                .filter(k -> k.startsWith(Uploads.partsPrefix(uploadId)))
                .toList();
    }

    @Test
    void create_answersAPendingUploadThatExpiresInAnHour() {
        ApiResponse response = create("{\"bytes\":" + FILE.length() + ",\"filename\":\"requests.jsonl\","
                + "\"mime_type\":\"text/jsonl\",\"purpose\":\"batch\"}");

        assertThat(response.status()).isEqualTo(200);
        JsonNode upload = json(response);
        long now = t.clock.instant().getEpochSecond();
        assertThat(upload.get("id").asText()).matches("upload_[0-9A-Za-z]{24}");
        assertThat(upload.get("object").asText()).isEqualTo("upload");
        assertThat(upload.get("bytes").asLong()).isEqualTo(FILE.length());
        assertThat(upload.get("created_at").asLong()).isEqualTo(now);
        assertThat(upload.get("filename").asText()).isEqualTo("requests.jsonl");
        assertThat(upload.get("purpose").asText()).isEqualTo("batch");
        assertThat(upload.get("status").asText()).isEqualTo("pending");
        assertThat(upload.get("expires_at").asLong()).isEqualTo(now + 3600);
        assertThat(upload.has("file")).isFalse();
    }

    @Test
    void create_acceptsExpiresAfter() {
        ApiResponse response = create("{\"bytes\":10,\"filename\":\"a.jsonl\",\"mime_type\":\"application/jsonl\","
                + "\"purpose\":\"batch\",\"expires_after\":{\"anchor\":\"created_at\",\"seconds\":3600}}");
        assertThat(response.status()).isEqualTo(200);
    }

    @Test
    void create_refusesWhatOpenAiRefuses_andStoresNothing() {
        String valid = "\"filename\":\"a.jsonl\",\"mime_type\":\"text/jsonl\",\"purpose\":\"batch\"";
        Map<String, String> paramOf = Map.of(
                "{" + valid + "}",
                "bytes",
                "{\"bytes\":\"ten\"," + valid + "}",
                "bytes",
                "{\"bytes\":0," + valid + "}",
                "bytes",
                "{\"bytes\":200000001," + valid + "}",
                "bytes",
                "{\"bytes\":10,\"mime_type\":\"text/jsonl\",\"purpose\":\"batch\"}",
                "filename",
                "{\"bytes\":10,\"filename\":\"a.jsonl\",\"purpose\":\"batch\"}",
                "mime_type",
                "{\"bytes\":10,\"filename\":\"a.jsonl\",\"mime_type\":\"text/jsonl\",\"purpose\":\"fine-tune\"}",
                "purpose",
                "{\"bytes\":10,\"filename\":\"a.csv\",\"mime_type\":\"text/csv\",\"purpose\":\"batch\"}",
                "filename",
                "{\"bytes\":10," + valid + ",\"expires_after\":3600}",
                "expires_after",
                "{\"bytes\":10," + valid + ",\"color\":\"blue\"}",
                "color");
        paramOf.forEach((body, param) -> assertThat(
                        error(create(body), 400).get("param").asText())
                .as(body)
                .isEqualTo(param));
        assertThat(error(create("[1]"), 400).get("code").asText()).isEqualTo("invalid_json");
        assertThat(error(create("{\"bytes\":200000001," + valid + "}"), 400)
                        .get("message")
                        .asText())
                .isEqualTo("Invalid 'bytes': a batch input file has between 1 and 200000000 bytes, but got 200000001.");
        assertThat(t.content.objects).isEmpty();
    }

    @Test
    void addPart_storesTheBytes_andAnswersAPart() {
        String uploadId = createUpload(FILE.length());

        ApiResponse response = t.addPart(uploadId, FIRST.getBytes(StandardCharsets.UTF_8));

        assertThat(response.status()).isEqualTo(200);
        JsonNode part = json(response);
        assertThat(part.get("id").asText()).matches("part_[0-9A-Za-z]{24}");
        assertThat(part.get("object").asText()).isEqualTo("upload.part");
        assertThat(part.get("created_at").asLong()).isEqualTo(t.clock.instant().getEpochSecond());
        assertThat(part.get("upload_id").asText()).isEqualTo(uploadId);
        assertThat(part.size()).isEqualTo(4);
        assertThat(t.content.objects.get(
                        Uploads.partsPrefix(uploadId) + part.get("id").asText()))
                .isEqualTo(FIRST.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void addPart_largerThanOneRequestCarries_is400SayingTheLimit() {
        String uploadId = createUpload(FILE.length());

        JsonNode e = error(t.addPart(uploadId, new byte[(int) Uploads.MAX_PART_BYTES + 1]), 400);

        assertThat(e.get("message").asText())
                .isEqualTo("Part of 4194305 bytes is larger than the 4194304 bytes one "
                        + "part may carry; send the file in parts of at most 4194304 bytes.");
        assertThat(e.get("param").asText()).isEqualTo("data");
        assertThat(e.get("code").asText()).isEqualTo("part_too_large");
        assertThat(partKeys(uploadId)).isEmpty();
        assertThat(t.addPart(uploadId, new byte[(int) Uploads.MAX_PART_BYTES]).status())
                .isEqualTo(200);
    }

    @Test
    void addPart_withoutData_is400() {
        String uploadId = createUpload(FILE.length());
        ApiResponse response = t.send(
                "POST",
                "/v1/uploads/" + uploadId + "/parts",
                Map.of(),
                Map.of("content-type", "multipart/form-data; boundary=B"),
                TestApi.form("B", "batch", null, new byte[0]));
        assertThat(error(response, 400).get("param").asText()).isEqualTo("data");
    }

    @Test
    void anUnknownUpload_orAnotherTenants_is404() {
        String uploadId = createUpload(FILE.length());
        for (String id : new String[] {"upload_missing", uploadId}) {
            String tenant = id.equals(uploadId) ? "tenant-b" : TestApi.TENANT;
            for (String[] call : new String[][] {{"parts", "x"}, {"complete", "{\"part_ids\":[]}"}, {"cancel", ""}}) {
                byte[] body = call[0].equals("parts")
                        ? TestApi.form("B", null, "data", new byte[1])
                        : call[1].getBytes(StandardCharsets.UTF_8);
                Map<String, String> headers =
                        call[0].equals("parts") ? Map.of("content-type", "multipart/form-data; boundary=B") : Map.of();
                ApiResponse response = t.api.handle(
                        new ApiRequest("POST", "/v1/uploads/" + id + "/" + call[0], Map.of(), headers, body, tenant));
                assertThat(error(response, 404).get("message").asText()).isEqualTo("No such Upload object: " + id);
            }
        }
    }

    @Test
    void complete_joinsThePartsInTheOrderOfPartIds_intoABatchFile_andDiscardsTheParts() {
        String uploadId = createUpload(FILE.length());
        String third = addPart(uploadId, THIRD);
        String first = addPart(uploadId, FIRST);
        String second = addPart(uploadId, SECOND);

        ApiResponse response = complete(uploadId, List.of(first, second, third), null);

        assertThat(response.status()).isEqualTo(200);
        JsonNode upload = json(response);
        assertThat(upload.get("status").asText()).isEqualTo("completed");
        JsonNode file = upload.get("file");
        String fileId = file.get("id").asText();
        assertThat(fileId).startsWith("file-");
        assertThat(file.get("object").asText()).isEqualTo("file");
        assertThat(file.get("bytes").asLong()).isEqualTo(FILE.length());
        assertThat(file.get("filename").asText()).isEqualTo("requests.jsonl");
        assertThat(file.get("purpose").asText()).isEqualTo("batch");
        assertThat(new String(t.content.objects.get(Files.contentKey(fileId)), StandardCharsets.UTF_8))
                .isEqualTo(FILE);
        assertThat(json(t.send("GET", "/v1/files/" + fileId))).isEqualTo(file);
        assertThat(partKeys(uploadId)).isEmpty();

        ApiResponse batch = t.sendJson(
                "POST",
                "/v1/batches",
                "{\"input_file_id\":\"" + fileId + "\","
                        + "\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}");
        assertThat(json(batch).get("status").asText()).isEqualTo("validating");
    }

    @Test
    void complete_withTheRightMd5_completes_andWithAWrongOne_is400AndStaysPending() {
        String uploadId = createUpload(FILE.length());
        List<String> parts = List.of(addPart(uploadId, FIRST), addPart(uploadId, SECOND), addPart(uploadId, THIRD));

        JsonNode e = error(complete(uploadId, parts, md5("something else")), 400);

        assertThat(e.get("message").asText())
                .isEqualTo("Invalid 'md5': the parts' MD5 is " + md5(FILE) + ", not " + md5("something else") + ".");
        assertThat(e.get("param").asText()).isEqualTo("md5");
        assertThat(e.get("code").asText()).isEqualTo("md5_mismatch");
        assertThat(t.content.objects.keySet()).allMatch(k -> k.startsWith(Uploads.partsPrefix(uploadId)));
        assertThat(t.fileRecords.size()).isZero();

        ApiResponse retried = complete(uploadId, parts, md5(FILE).toUpperCase());
        assertThat(json(retried).get("status").asText()).isEqualTo("completed");
    }

    @Test
    void complete_whenThePartsDoNotHoldTheDeclaredBytes_is400AndStaysPending() {
        String uploadId = createUpload(FILE.length());
        String first = addPart(uploadId, FIRST);
        String second = addPart(uploadId, SECOND);
        addPart(uploadId, THIRD);

        JsonNode e = error(complete(uploadId, List.of(first, second), null), 400);

        assertThat(e.get("message").asText())
                .isEqualTo("The parts in 'part_ids' hold " + (FIRST + SECOND).length()
                        + " bytes, but the upload was created for " + FILE.length() + " bytes.");
        assertThat(e.get("code").asText()).isEqualTo("bytes_mismatch");
        assertThat(error(complete(uploadId, List.of(), null), 400).get("code").asText())
                .isEqualTo("bytes_mismatch");
        assertThat(t.fileRecords.size()).isZero();
        assertThat(partKeys(uploadId)).hasSize(3);
    }

    @Test
    void complete_withAPartOfAnotherUpload_anUnknownPart_orAPartTwice_is400() {
        String uploadId = createUpload(FIRST.length() * 2L);
        String own = addPart(uploadId, FIRST);
        String otherUpload = createUpload(FIRST.length());
        String foreign = addPart(otherUpload, FIRST);

        assertThat(error(complete(uploadId, List.of(own, foreign), null), 400)
                        .get("message")
                        .asText())
                .isEqualTo("Invalid 'part_ids': no part " + foreign + " was added to upload " + uploadId + ".");
        assertThat(error(complete(uploadId, List.of(own, "part_nope"), null), 400)
                        .get("param")
                        .asText())
                .isEqualTo("part_ids");
        JsonNode twice = error(complete(uploadId, List.of(own, own), null), 400);
        assertThat(twice.get("message").asText())
                .isEqualTo("Invalid 'part_ids': " + own + " is listed more than once.");
        assertThat(twice.get("code").asText()).isEqualTo("duplicate_part");
    }

    @Test
    void complete_withoutPartIds_orOfTheWrongType_is400() {
        String uploadId = createUpload(FILE.length());
        String path = "/v1/uploads/" + uploadId + "/complete";
        assertThat(error(t.sendJson("POST", path, "{}"), 400).get("code").asText())
                .isEqualTo("missing_required_parameter");
        assertThat(error(t.sendJson("POST", path, "{\"part_ids\":\"part_a\"}"), 400)
                        .get("message")
                        .asText())
                .isEqualTo("Invalid type for 'part_ids': expected an array, but got a string instead.");
        assertThat(error(t.sendJson("POST", path, "{\"part_ids\":[1]}"), 400)
                        .get("param")
                        .asText())
                .isEqualTo("part_ids[0]");
        assertThat(error(t.sendJson("POST", path, "{\"part_ids\":[],\"md5\":5}"), 400)
                        .get("param")
                        .asText())
                .isEqualTo("md5");
        assertThat(error(t.sendJson("POST", path, "{\"part_ids\":[],\"order\":\"asc\"}"), 400)
                        .get("code")
                        .asText())
                .isEqualTo("unknown_parameter");
    }

    @Test
    void aCompletedUpload_takesNoMoreParts_noSecondCompletion_andNoCancel() {
        String uploadId = createUpload(FIRST.length());
        String part = addPart(uploadId, FIRST);
        assertThat(complete(uploadId, List.of(part), null).status()).isEqualTo(200);

        assertThat(error(t.addPart(uploadId, FIRST.getBytes(StandardCharsets.UTF_8)), 400)
                        .get("message")
                        .asText())
                .isEqualTo("Cannot add a part to upload " + uploadId + ": its status is 'completed'.");
        assertThat(error(complete(uploadId, List.of(part), null), 400)
                        .get("code")
                        .asText())
                .isEqualTo("invalid_upload_status");
        assertThat(error(t.send("POST", "/v1/uploads/" + uploadId + "/cancel"), 400)
                        .get("message")
                        .asText())
                .isEqualTo("Cannot cancel upload " + uploadId + ": its status is 'completed'.");
        assertThat(t.fileRecords.size()).isEqualTo(1);
    }

    @Test
    void cancel_discardsTheParts_isIdempotent_andACancelledUploadCannotBeCompleted() {
        String uploadId = createUpload(FILE.length());
        String part = addPart(uploadId, FILE);

        JsonNode cancelled = json(t.send("POST", "/v1/uploads/" + uploadId + "/cancel"));

        assertThat(cancelled.get("id").asText()).isEqualTo(uploadId);
        assertThat(cancelled.get("status").asText()).isEqualTo("cancelled");
        assertThat(cancelled.has("file")).isFalse();
        assertThat(partKeys(uploadId)).isEmpty();
        assertThat(json(t.send("POST", "/v1/uploads/" + uploadId + "/cancel"))).isEqualTo(cancelled);
        assertThat(error(complete(uploadId, List.of(part), null), 400)
                        .get("message")
                        .asText())
                .isEqualTo("Cannot complete upload " + uploadId + ": its status is 'cancelled'.");
        assertThat(error(t.addPart(uploadId, FIRST.getBytes(StandardCharsets.UTF_8)), 400)
                        .get("code")
                        .asText())
                .isEqualTo("invalid_upload_status");
        assertThat(t.content.objects).isEmpty();
    }

    @Test
    void anUploadPastItsHour_isExpired_andRefusesPartsCompletionAndCancel() {
        String uploadId = createUpload(FIRST.length());
        String part = addPart(uploadId, FIRST);

        t.clock.advance(Uploads.LIFETIME);

        assertThat(error(t.addPart(uploadId, FIRST.getBytes(StandardCharsets.UTF_8)), 400)
                        .get("message")
                        .asText())
                .endsWith("its status is 'expired'.");
        assertThat(error(complete(uploadId, List.of(part), null), 400)
                        .get("message")
                        .asText())
                .endsWith("its status is 'expired'.");
        assertThat(error(t.send("POST", "/v1/uploads/" + uploadId + "/cancel"), 400)
                        .get("message")
                        .asText())
                .endsWith("its status is 'expired'.");
        assertThat(t.fileRecords.size()).isZero();
    }

    @Test
    void anUploadOneSecondBeforeItsHour_stillCompletes() {
        String uploadId = createUpload(FIRST.length());
        String part = addPart(uploadId, FIRST);

        t.clock.advance(Uploads.LIFETIME.minus(Duration.ofSeconds(1)));

        assertThat(json(complete(uploadId, List.of(part), null)).get("status").asText())
                .isEqualTo("completed");
    }

    @Test
    void complete_whenCancelledWhileAssembling_is400_andLeavesNoFile() {
        String uploadId = createUpload(FIRST.length());
        String part = addPart(uploadId, FIRST);
        t.uploadRecords.beforeNextFinish = () -> t.uploads.cancel(TestApi.TENANT, uploadId);

        JsonNode e = error(complete(uploadId, List.of(part), null), 400);

        assertThat(e.get("message").asText())
                .isEqualTo("Cannot complete upload " + uploadId + ": its status is 'cancelled'.");
        assertThat(t.fileRecords.size()).isZero();
        assertThat(t.content.objects).isEmpty();
    }

    @Test
    void addPart_whenCancelledWhileTheBytesWereWritten_is400_andKeepsNoPart() {
        String uploadId = createUpload(FIRST.length());
        t.content.afterNextPut = () -> t.uploads.cancel(TestApi.TENANT, uploadId);

        JsonNode e = error(t.addPart(uploadId, FIRST.getBytes(StandardCharsets.UTF_8)), 400);

        assertThat(e.get("message").asText()).endsWith("its status is 'cancelled'.");
        assertThat(t.content.objects).isEmpty();
    }

    @Test
    void complete_whenTheFileRecordCannotBeWritten_leavesNoBytes_andStaysPending() {
        String uploadId = createUpload(FIRST.length());
        String part = addPart(uploadId, FIRST);
        t.fileRecords.failCreateWith = new IllegalStateException("table unavailable");

        error(complete(uploadId, List.of(part), null), 500);

        assertThat(t.content.objects.keySet()).containsExactly(Uploads.partsPrefix(uploadId) + part);
        t.fileRecords.failCreateWith = null;
        assertThat(json(complete(uploadId, List.of(part), null)).get("status").asText())
                .isEqualTo("completed");
    }
}
