package dev.openbatch.core.batches;

import static dev.openbatch.core.fakes.Responses.error;
import static dev.openbatch.core.fakes.Responses.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.fakes.TestApi;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.http.ApiRequest;
import dev.openbatch.core.http.ApiResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BatchesTest {

    private final TestApi t = new TestApi();
    private final String inputFileId =
            json(t.upload("in.jsonl", "batch", "{}\n")).get("id").asText();

    private ObjectNode request() {
        ObjectNode r = Json.MAPPER.createObjectNode();
        r.put("input_file_id", inputFileId);
        r.put("endpoint", "/v1/chat/completions");
        r.put("completion_window", "24h");
        return r;
    }

    private ApiResponse create(ObjectNode request) {
        return t.sendJson("POST", "/v1/batches", request.toString());
    }

    @Test
    void create_aValidRequest_storesAValidatingBatchWithEveryOpenAiField() {
        ObjectNode request = request();
        request.putObject("metadata").put("customer", "acme");
        request.put("job_id", "job-other");

        ApiResponse response = create(request);

        assertThat(response.status()).isEqualTo(200);
        JsonNode batch = json(response);
        long now = t.clock.instant().getEpochSecond();
        assertThat(batch.get("id").asText()).startsWith("batch_");
        assertThat(batch.get("object").asText()).isEqualTo("batch");
        assertThat(batch.get("endpoint").asText()).isEqualTo("/v1/chat/completions");
        assertThat(batch.get("input_file_id").asText()).isEqualTo(inputFileId);
        assertThat(batch.get("completion_window").asText()).isEqualTo("24h");
        assertThat(batch.get("status").asText()).isEqualTo("validating");
        assertThat(batch.get("created_at").asLong()).isEqualTo(now);
        assertThat(batch.get("expires_at").asLong()).isEqualTo(now + 24 * 3600);
        assertThat(batch.get("request_counts").toString()).isEqualTo("{\"total\":0,\"completed\":0,\"failed\":0}");
        assertThat(batch.get("metadata").toString()).isEqualTo("{\"customer\":\"acme\"}");
        assertThat(batch.get("job_id").asText()).isEqualTo("job-other");
        for (String absent : new String[] {
            "errors",
            "output_file_id",
            "error_file_id",
            "in_progress_at",
            "finalizing_at",
            "completed_at",
            "failed_at",
            "expired_at",
            "cancelling_at",
            "cancelled_at",
            "model",
            "usage"
        }) {
            assertThat(batch.has(absent)).as(absent + " is present").isTrue();
            assertThat(batch.get(absent).isNull()).as(absent + " is null").isTrue();
        }
        assertThat(json(t.send("GET", "/v1/batches/" + batch.get("id").asText())))
                .isEqualTo(batch);
    }

    @Test
    void create_withoutJobId_usesTheDeploymentsDefaultJob() {
        assertThat(json(create(request())).get("job_id").asText()).isEqualTo("job-default");
    }

    @Test
    void create_withoutJobId_whereNoDefaultJob_is400() {
        TestApi noDefault =
                new TestApi("{\"jobs\":[{\"id\":\"job-x\",\"base_url\":\"http://h/v1\",\"tenants\":[\"tenant-a\"]}]}");
        String file =
                json(noDefault.upload("in.jsonl", "batch", "{}\n")).get("id").asText();
        ObjectNode request = request();
        request.put("input_file_id", file);
        JsonNode e = error(noDefault.sendJson("POST", "/v1/batches", request.toString()), 400);
        assertThat(e.get("message").asText()).isEqualTo("Missing required parameter: 'job_id'.");
        assertThat(noDefault.batchRecords.size()).isZero();
    }

    @Test
    void create_onAJobOfOtherTenantsOnly_is400AsIfTheJobDidNotExist() {
        ObjectNode request = request();
        request.put("job_id", "job-b-only");
        JsonNode e = error(create(request), 400);
        assertThat(e.get("message").asText())
                .isEqualTo("Invalid 'job_id': no job 'job-b-only' is available to this account.");
        assertThat(e.get("param").asText()).isEqualTo("job_id");
        assertThat(e.get("code").asText()).isEqualTo("invalid_value");
        assertThat(t.batchRecords.size()).isZero();
    }

    @Test
    void create_withoutJobId_whereTheDefaultJobIsOtherTenants_is400AsIfThereWereNone() {
        TestApi othersDefault = new TestApi("{\"default_job\":\"job-x\",\"jobs\":[{\"id\":\"job-x\","
                + "\"base_url\":\"http://h/v1\",\"tenants\":[\"tenant-b\"]}]}");
        ObjectNode request = request();
        request.put(
                "input_file_id",
                json(othersDefault.upload("in.jsonl", "batch", "{}\n"))
                        .get("id")
                        .asText());
        JsonNode e = error(othersDefault.sendJson("POST", "/v1/batches", request.toString()), 400);
        assertThat(e.get("message").asText()).isEqualTo("Missing required parameter: 'job_id'.");
    }

    @Test
    void create_onAJobWithoutTenants_isForTheDefaultTenantOnly() {
        TestApi unnamed = new TestApi("{\"jobs\":[{\"id\":\"job-x\",\"base_url\":\"http://h/v1\"}]}");
        ObjectNode request = request();
        request.put("job_id", "job-x");
        request.put(
                "input_file_id",
                json(unnamed.upload("in.jsonl", "batch", "{}\n")).get("id").asText());
        error(unnamed.sendJson("POST", "/v1/batches", request.toString()), 400);
        assertThat(unnamed.batchRecords.size()).isZero();
    }

    @Test
    void submit_theSameIdTwice_storesOneBatch_andStartsItAgainOnlyWhileItIsValidating() {
        Batches.Request request =
                Batches.Request.of(inputFileId, "/v1/embeddings", "unlimited", Map.of("k", "v"), null);

        Batch first = t.batches.submit(TestApi.TENANT, "batch_fixed", request);
        Batch again = t.batches.submit(TestApi.TENANT, "batch_fixed", request);

        assertThat(again).isEqualTo(first);
        assertThat(t.batchRecords.size()).isEqualTo(1);
        assertThat(t.launched).containsExactly("batch_fixed", "batch_fixed");
        t.batchRecords.transition(
                TestApi.TENANT,
                "batch_fixed",
                Set.of(Batch.Status.VALIDATING),
                Batch.Status.IN_PROGRESS,
                Map.of("in_progress_at", 1L),
                1L,
                null);
        assertThat(t.batches.submit(TestApi.TENANT, "batch_fixed", request).status())
                .isEqualTo(Batch.Status.IN_PROGRESS);
        assertThat(t.launched).hasSize(2);
    }

    @Test
    void requestOf_checksAsTheApiChecksABody() {
        assertThatThrownBy(() -> Batches.Request.of(inputFileId, "/v1/images", "24h", null, null))
                .isInstanceOf(ApiException.class)
                .hasMessage("'/v1/images' is not one of ['/v1/responses', '/v1/chat/completions', '/v1/embeddings', "
                        + "'/v1/completions', '/v1/moderations'] - 'endpoint'");
        assertThatThrownBy(() -> Batches.Request.of(inputFileId, "/v1/embeddings", "1h", null, null))
                .hasMessageContaining("'completion_window'");
        assertThatThrownBy(() ->
                        Batches.Request.of(inputFileId, "/v1/embeddings", "24h", Map.of("k", "v".repeat(513)), null))
                .hasMessageContaining("Invalid 'metadata.k': string too long");
        assertThatThrownBy(() -> Batches.Request.of(null, "/v1/embeddings", "24h", null, null))
                .hasMessage("Missing required parameter: 'input_file_id'.");
    }

    @Test
    void create_withUnlimitedWindow_neverExpires() {
        ObjectNode request = request();
        request.put("completion_window", "unlimited");
        JsonNode batch = json(create(request));
        assertThat(batch.get("completion_window").asText()).isEqualTo("unlimited");
        assertThat(batch.get("expires_at").isNull()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "missing input_file_id | input_file_id |  | Missing required parameter: 'input_file_id'.",
                "missing endpoint | endpoint |  | Missing required parameter: 'endpoint'.",
                "missing completion_window | completion_window |  | Missing required parameter: 'completion_window'.",
                "unknown endpoint | endpoint | \"/v1/images\" | '/v1/images' is not one of ['/v1/responses', '/v1/chat/completions', '/v1/embeddings', '/v1/completions', '/v1/moderations'] - 'endpoint'",
                "endpoint with query | endpoint | \"/v1/chat/completions?x=1\" | '/v1/chat/completions?x=1' is not one of ['/v1/responses', '/v1/chat/completions', '/v1/embeddings', '/v1/completions', '/v1/moderations'] - 'endpoint'",
                "window 48h | completion_window | \"48h\" | '48h' is not one of ['24h', 'unlimited'] - 'completion_window'",
                "number as input_file_id | input_file_id | 42 | Invalid type for 'input_file_id': expected a string, but got an integer instead.",
                "array as endpoint | endpoint | [] | Invalid type for 'endpoint': expected a string, but got an array instead.",
                "unknown job | job_id | \"job-nope\" | Invalid 'job_id': no job 'job-nope' is available to this account.",
                "job_id not a string | job_id | true | Invalid type for 'job_id': expected a string, but got a boolean instead.",
                "metadata not an object | metadata | \"x\" | Invalid type for 'metadata': expected an object, but got a string instead.",
                "metadata value not a string | metadata | {\"k\":1} | Invalid type for 'metadata.k': expected a string, but got an integer instead.",
                "unknown argument | model | \"gpt\" | Unrecognized request argument supplied: model",
            })
    void create_withABadParameter_is400NamingIt(String why, String param, String json, String message)
            throws Exception {
        ObjectNode request = request();
        if (json == null) {
            request.remove(param);
        } else {
            request.set(param, Json.MAPPER.readTree(json));
        }
        JsonNode e = error(create(request), 400);
        assertThat(e.get("message").asText()).isEqualTo(message);
        assertThat(e.get("param").asText()).startsWith(param);
        assertThat(e.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(t.batchRecords.size()).isZero();
    }

    @Test
    void create_withTooMuchMetadata_is400() {
        ObjectNode request = request();
        ObjectNode metadata = request.putObject("metadata");
        for (int i = 0; i < 17; i++) {
            metadata.put("k" + i, "v");
        }
        assertThat(error(create(request), 400).get("code").asText()).isEqualTo("object_above_max_properties");

        request.putObject("metadata").put("k".repeat(65), "v");
        assertThat(error(create(request), 400).get("message").asText()).contains("key too long");

        request.putObject("metadata").put("k", "v".repeat(513));
        assertThat(error(create(request), 400).get("message").asText())
                .isEqualTo("Invalid 'metadata.k': string too long. Expected a string with maximum length 512, "
                        + "but got a string with length 513 instead.");
        assertThat(t.batchRecords.size()).isZero();
    }

    @Test
    void create_atTheMetadataLimits_isAccepted() {
        ObjectNode request = request();
        ObjectNode metadata = request.putObject("metadata");
        for (int i = 0; i < 16; i++) {
            metadata.put(String.format("%064d", i), "v".repeat(512));
        }
        assertThat(create(request).status()).isEqualTo(200);
    }

    @Test
    void create_withAnUnknownInputFile_is404() {
        ObjectNode request = request();
        request.put("input_file_id", "file-nope");
        JsonNode e = error(create(request), 404);
        assertThat(e.get("message").asText()).isEqualTo("No such File object: file-nope");
        assertThat(e.get("param").asText()).isEqualTo("input_file_id");
    }

    @Test
    void create_withAnInputFileOfAnotherPurpose_is400() {
        t.fileRecords.create(
                TestApi.TENANT, FileObject.stored("file-output", 3, 0, "out.jsonl", Files.PURPOSE_BATCH_OUTPUT));
        ObjectNode request = request();
        request.put("input_file_id", "file-output");
        JsonNode e = error(create(request), 400);
        assertThat(e.get("message").asText()).contains("must have purpose 'batch'");
        assertThat(t.batchRecords.size()).isZero();
    }

    @Test
    void create_withAnotherTenantsInputFile_is404() {
        ApiResponse response = t.api.handle(new ApiRequest(
                "POST", "/v1/batches", Map.of(), Map.of(), request().toString().getBytes(), "tenant-b"));
        error(response, 404);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {"not json", "[1,2]", "\"a string\"", "''", "{\"input_file_id\":"})
    void create_withABodyThatIsNotAJsonObject_is400(String body) {
        JsonNode e = error(t.sendJson("POST", "/v1/batches", body), 400);
        assertThat(e.get("message").asText()).startsWith("We could not parse the JSON body of your request.");
    }

    @Test
    void create_withContentAfterTheObject_orNestingBeyondTheParsersLimit_is400_andStoresNothing() {
        String valid =
                "{\"input_file_id\":\"file-x\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}";
        String deep = "{\"metadata\":" + "[".repeat(5000) + "]".repeat(5000) + "}";

        for (String body : List.of(valid + " " + valid, valid + " junk", deep)) {
            JsonNode e = error(t.sendJson("POST", "/v1/batches", body), 400);
            assertThat(e.get("code").asText()).isEqualTo("invalid_json");
        }
        assertThat(t.batchRecords.size()).isZero();
        assertThat(t.launched).isEmpty();
    }

    @Test
    void retrieve_anUnknownBatch_is404() {
        JsonNode e = error(t.send("GET", "/v1/batches/batch_nope"), 404);
        assertThat(e.get("message").asText()).isEqualTo("No batch found with id 'batch_nope'.");
    }

    @Test
    void list_pagesNewestFirst_andRefusesBadLimits() throws InterruptedException {
        String[] ids = new String[3];
        for (int i = 0; i < 3; i++) {
            ids[i] = json(create(request())).get("id").asText();
            Thread.sleep(2);
        }
        JsonNode first = json(t.send("GET", "/v1/batches", Map.of("limit", "2"), Map.of(), null));
        assertThat(first.get("data")).extracting(b -> b.get("id").asText()).containsExactly(ids[2], ids[1]);
        assertThat(first.get("has_more").asBoolean()).isTrue();
        JsonNode rest = json(t.send(
                "GET", "/v1/batches", Map.of("after", first.get("last_id").asText()), Map.of(), null));
        assertThat(rest.get("data")).extracting(b -> b.get("id").asText()).containsExactly(ids[0]);
        assertThat(rest.get("has_more").asBoolean()).isFalse();

        for (String limit : new String[] {"0", "101", "-1"}) {
            assertThat(error(t.send("GET", "/v1/batches", Map.of("limit", limit), Map.of(), null), 400)
                            .get("param")
                            .asText())
                    .isEqualTo("limit");
        }
        assertThat(json(t.send("GET", "/v1/batches", Map.of("limit", "100"), Map.of(), null))
                        .get("data"))
                .hasSize(3);
    }
}
