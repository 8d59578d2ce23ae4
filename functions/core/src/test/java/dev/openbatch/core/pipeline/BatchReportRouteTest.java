package dev.openbatch.core.pipeline;

import static dev.openbatch.core.fakes.Responses.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.fakes.TestApi;
import dev.openbatch.core.http.ApiRequest;
import dev.openbatch.core.http.ApiResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/batches/{id}/report}: the caller's batches only, from {@code validating} on. */
class BatchReportRouteTest {

    private final TestApi t = new TestApi();

    private String validatingBatch() {
        return t.createBatch(
                "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\"}}\n",
                "/v1/chat/completions",
                "24h");
    }

    @Test
    void aValidatingBatch_hasAReport_withOnlyItsValidatingPhaseReached() {
        String batchId = validatingBatch();

        ApiResponse response = t.send("GET", "/v1/batches/" + batchId + "/report");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.contentType()).isEqualTo("application/json");
        JsonNode report = json(response);
        assertThat(report.get("object").asText()).isEqualTo("batch.report");
        assertThat(report.get("batch_id").asText()).isEqualTo(batchId);
        assertThat(report.get("status").asText()).isEqualTo("validating");
        assertThat(report.at("/phases/validating_seconds").isNumber()).isTrue();
        assertThat(report.at("/phases/waiting_seconds").isNull()).isTrue();
        assertThat(report.at("/phases/running_seconds").isNull()).isTrue();
        assertThat(report.at("/phases/finalizing_seconds").isNull()).isTrue();
        assertThat(report.at("/latency_ms/count").asLong()).isZero();
        assertThat(report.at("/cost/currency").asText()).isEqualTo("USD");
    }

    @Test
    void anotherTenantsBatch_andAnUnknownOne_areNotFound_inOpenAisEnvelope() {
        String batchId = validatingBatch();

        ApiResponse other = t.api.handle(new ApiRequest(
                "GET", "/v1/batches/" + batchId + "/report", Map.of(), Map.of(), new byte[0], TestApi.OTHER_TENANT));
        ApiResponse unknown = t.send("GET", "/v1/batches/batch_nope/report");

        assertThat(other.status()).isEqualTo(404);
        assertThat(json(other).at("/error/message").asText()).isEqualTo("No batch found with id '" + batchId + "'.");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(json(unknown).at("/error/message").asText()).isEqualTo("No batch found with id 'batch_nope'.");
        assertThat(json(unknown).at("/error/type").asText()).isEqualTo("invalid_request_error");
    }
}
