package dev.openbatch.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import dev.openbatch.core.http.ApiRequest;
import dev.openbatch.core.http.ApiResponse;
import dev.openbatch.core.http.Console;
import dev.openbatch.core.http.Multipart;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The API handler fed the events API Gateway sends, read with Lambda's own event serialization. */
class ApiHandlerTest {

    private final AtomicReference<ApiRequest> received = new AtomicReference<>();
    private ApiResponse answer = ApiResponse.ok(Map.of("ok", true));
    private final ApiHandler handler = new ApiHandler(request -> {
        received.set(request);
        return answer;
    });

    private static APIGatewayV2HTTPEvent event(String name) throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("../../events/api-gateway", name + ".json"))) {
            return LambdaEventSerializers.serializerFor(
                            APIGatewayV2HTTPEvent.class, ApiHandlerTest.class.getClassLoader())
                    .fromJson(in);
        }
    }

    @Test
    void uploadEvent_decodesTheBase64MultipartBody_forTheDefaultTenant() throws IOException {
        handler.handleRequest(event("upload-file"), null);

        ApiRequest request = received.get();
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/v1/files");
        assertThat(request.tenant()).isEqualTo(ApiHandler.DEFAULT_TENANT);
        Map<String, Multipart.Part> form =
                Multipart.parse(request.header("Content-Type").orElseThrow(), request.body());
        assertThat(form.get("purpose").text()).isEqualTo("batch");
        assertThat(form.get("file").filename()).isEqualTo("requests.jsonl");
        assertThat(form.get("file").text())
                .startsWith("{\"custom_id\":\"request-1\"")
                .endsWith("}}\n");
    }

    @Test
    void listEvent_takesTheFirstOfRepeatedParameters_andTheAuthorizersTenant() throws IOException {
        handler.handleRequest(event("list-files"), null);

        ApiRequest request = received.get();
        assertThat(request.method()).isEqualTo("GET");
        assertThat(request.query())
                .containsEntry("limit", "2")
                .containsEntry("purpose", "batch")
                .containsEntry("after", "file-abc");
        assertThat(request.tenant()).isEqualTo("tenant-acme");
        assertThat(request.body()).isEmpty();
    }

    @Test
    void createEvent_passesATextBodyAsItsUtf8Bytes() throws IOException {
        handler.handleRequest(event("create-batch"), null);

        String body = new String(received.get().body(), StandardCharsets.UTF_8);
        assertThat(body).contains("\"job_id\": \"job-local\"");
    }

    @Test
    void aJsonAnswer_goesOutAsText() throws IOException {
        answer = ApiResponse.json(404, Map.of("error", Map.of("message", "no")));

        APIGatewayV2HTTPResponse response = handler.handleRequest(event("create-batch"), null);

        assertThat(response.getStatusCode()).isEqualTo(404);
        assertThat(response.getIsBase64Encoded()).isFalse();
        assertThat(response.getBody()).isEqualTo("{\"error\":{\"message\":\"no\"}}");
        assertThat(response.getHeaders()).containsEntry("content-type", "application/json");
    }

    @Test
    void fileContent_goesOutBase64Encoded_soAnyBytesPassUnharmed() throws IOException {
        byte[] bytes = {0, (byte) 0xff, '\n', (byte) 0xc3};
        answer = ApiResponse.bytes(bytes, "application/octet-stream");

        APIGatewayV2HTTPResponse response = handler.handleRequest(event("list-files"), null);

        assertThat(response.getIsBase64Encoded()).isTrue();
        assertThat(Base64.getDecoder().decode(response.getBody())).isEqualTo(bytes);
    }

    @Test
    void theConsolesRoute_carriesNoAuthorizer_andItsPageGoesOutWithItsPolicy() throws IOException {
        byte[] page = "<!doctype html>".getBytes(StandardCharsets.UTF_8);
        answer = new ApiResponse(
                200,
                Map.of(
                        "content-type",
                        "text/html; charset=utf-8",
                        "content-security-policy",
                        Console.CONTENT_SECURITY_POLICY),
                page);

        APIGatewayV2HTTPResponse response = handler.handleRequest(event("get-console"), null);

        assertThat(received.get().path()).isEqualTo("/console");
        assertThat(received.get().tenant()).isEqualTo(ApiHandler.DEFAULT_TENANT);
        assertThat(response.getStatusCode()).isEqualTo(200);
        assertThat(response.getHeaders()).containsEntry("content-security-policy", Console.CONTENT_SECURITY_POLICY);
        assertThat(response.getIsBase64Encoded()).isTrue();
        assertThat(Base64.getDecoder().decode(response.getBody())).isEqualTo(page);
    }

    @Test
    void aRedirect_goesOutAs302WithItsLocation_andNoBody() throws IOException {
        answer = ApiResponse.redirect(URI.create("https://bucket.s3.amazonaws.com/files/file-1?X-Amz-Signature=abc"));

        APIGatewayV2HTTPResponse response = handler.handleRequest(event("list-files"), null);

        assertThat(response.getStatusCode()).isEqualTo(302);
        assertThat(response.getHeaders())
                .containsEntry("location", "https://bucket.s3.amazonaws.com/files/file-1?X-Amz-Signature=abc");
        assertThat(Base64.getDecoder().decode(response.getBody())).isEmpty();
    }

    @Test
    void settings_failFastOnAMissingVariable_andReadEndpointOverrides() {
        Map<String, String> env = Map.of(
                "AWS_REGION",
                "eu-west-1",
                "OPENBATCH_BUCKET",
                "b",
                "OPENBATCH_FILES_TABLE",
                "f",
                "OPENBATCH_BATCHES_TABLE",
                "t",
                "OPENBATCH_JOBS",
                "{}",
                "AWS_ENDPOINT_URL_S3",
                "http://127.0.0.1:4566");
        Settings settings = Settings.fromEnvironment(env);
        assertThat(settings.endpoint(Settings.S3))
                .hasValueSatisfying(u -> assertThat(u.getPort()).isEqualTo(4566));
        assertThat(settings.endpoint(Settings.DYNAMODB)).isEmpty();
        assertThat(settings.staticCredentials()).isEmpty();

        Map<String, String> missing = new HashMap<>(env);
        missing.remove("OPENBATCH_BUCKET");
        assertThatThrownBy(() -> Settings.fromEnvironment(missing)).hasMessageContaining("OPENBATCH_BUCKET");
    }
}
