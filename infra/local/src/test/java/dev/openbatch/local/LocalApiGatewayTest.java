package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.openbatch.local.lambda.LocalLambda;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The API's gateway in front of a Lambda-like function: Lambda's 6 MB each way, and a failed function's 500. */
class LocalApiGatewayTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicInteger invocations = new AtomicInteger();

    private HttpResponse<String> post(
            LocalLambda<RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>> function,
            String contentType,
            byte[] body)
            throws IOException, InterruptedException {
        try (function) {
            LocalApiGateway gateway = new LocalApiGateway("127.0.0.1", 0, function, null, () -> true);
            gateway.start();
            try {
                return http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/files"))
                                .header("content-type", contentType)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
            } finally {
                gateway.close();
            }
        }
    }

    private LocalLambda<RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>> answering(
            String body, Duration timeout) {
        return new LocalLambda<>("openbatch-api", timeout, 10, sandbox -> (event, context) -> {
            invocations.incrementAndGet();
            return APIGatewayV2HTTPResponse.builder()
                    .withStatusCode(200)
                    .withBody(body)
                    .withIsBase64Encoded(false)
                    .build();
        });
    }

    @Test
    void aBodyWithinApiGatewaysTenMegabytes_butAnEventOverLambdasSix_is413_andTheFunctionIsNeverInvoked()
            throws Exception {
        // Binary bodies reach the function base64-encoded: 5 MB become 6.7 MB.
        HttpResponse<String> response =
                post(answering("{}", Duration.ofSeconds(29)), "application/octet-stream", new byte[5 * 1024 * 1024]);

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.body()).isEqualTo("{\"message\":\"Request Entity Too Large\"}");
        assertThat(invocations).hasValue(0);
    }

    @Test
    void aBodyThatFitsLambda_reachesTheFunction() throws Exception {
        HttpResponse<String> response = post(
                answering("{\"ok\":true}", Duration.ofSeconds(29)),
                "application/octet-stream",
                new byte[4 * 1024 * 1024]);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"ok\":true}");
        assertThat(invocations).hasValue(1);
    }

    @Test
    void anAnswerOverSixMegabytes_is500_asLambdaFailsTheInvocation() throws Exception {
        HttpResponse<String> response = post(
                answering("a".repeat(LocalLambda.MAX_SYNC_PAYLOAD_BYTES), Duration.ofSeconds(29)),
                "application/json",
                "{}".getBytes());

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).isEqualTo("{\"message\":\"Internal Server Error\"}");
        assertThat(invocations).hasValue(1);
    }

    @Test
    void aFunctionPastItsTimeout_is500() throws Exception {
        LocalLambda<RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>> slow =
                new LocalLambda<>("openbatch-api", Duration.ofSeconds(1), 10, sandbox -> (event, context) -> {
                    try {
                        new CountDownLatch(1).await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return APIGatewayV2HTTPResponse.builder()
                            .withStatusCode(200)
                            .build();
                });

        HttpResponse<String> response = post(slow, "application/json", "{}".getBytes());

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).isEqualTo("{\"message\":\"Internal Server Error\"}");
    }
}
