package dev.openbatch.core.http;

import static dev.openbatch.core.fakes.Responses.error;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.fakes.TestApi;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OpenAiApiTest {

    private final TestApi t = new TestApi();

    @Test
    void anUnknownUrl_is404InvalidUrl() {
        JsonNode e = error(t.send("GET", "/v1/models"), 404);
        assertThat(e.get("message").asText()).isEqualTo("Invalid URL (GET /v1/models)");
        assertThat(e.get("type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    void aKnownUrlWithAWrongMethod_is405() {
        JsonNode e = error(t.send("PUT", "/v1/files"), 405);
        assertThat(e.get("message").asText()).isEqualTo("Invalid method for URL (PUT /v1/files): allowed POST, GET.");
        assertThat(e.get("code").asText()).isEqualTo("method_not_allowed");
        error(t.send("POST", "/v1/batches/batch_x"), 405);
        error(t.send("DELETE", "/v1/batches"), 405);
    }

    @Test
    void aTrailingSlash_routesAsWithout() {
        assertThat(t.send("GET", "/v1/files/").status()).isEqualTo(200);
    }

    @Test
    void anUnexpectedFailure_is500ServerErrorWithoutInternals() {
        t.fileRecords.failCreateWith = new IllegalStateException("connection to dynamodb.internal:8000 refused");
        JsonNode e = error(t.upload("a.jsonl", "batch", "{}"), 500);
        assertThat(e.get("type").asText()).isEqualTo("server_error");
        assertThat(e.get("message").asText()).doesNotContain("dynamodb");
    }

    @Test
    void aTooLongCursor_is400() {
        error(t.send("GET", "/v1/batches", Map.of("after", "b".repeat(300)), Map.of(), null), 400);
    }
}
