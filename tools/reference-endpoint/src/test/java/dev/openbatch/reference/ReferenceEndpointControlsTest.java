package dev.openbatch.reference;

import static dev.openbatch.reference.Http.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Latency, the concurrency cap, injected faults and the stats that count them. */
class ReferenceEndpointControlsTest {

    private static final String CHAT = """
            {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}""";
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @Test
    void latency_isAppliedBeforeAnswering() {
        Duration latency = Duration.ofMillis(300);
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(
                        Options.builder().latency(latency).build());
                Http http = new Http(endpoint)) {
            long started = System.nanoTime();
            HttpResponse<String> response = http.post("chat/completions", CHAT);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(elapsed).isGreaterThanOrEqualTo(latency);
        }
    }

    @Test
    void models_whenNamed_areServed_andAnyOtherGetsOpenAisModelNotFound() throws Exception {
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(
                        Options.builder().models(List.of("gpt-test", "llama")).build());
                Http http = new Http(endpoint)) {
            HttpResponse<String> served = http.post("chat/completions", CHAT);
            HttpResponse<String> other = http.post("chat/completions", CHAT.replace("gpt-test", "qwen"));

            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(other.statusCode()).isEqualTo(404);
            assertThat(json(other)).isEqualTo(dev.openbatch.core.Json.MAPPER.readTree("""
                            {"error": {"message": "The model `qwen` does not exist or you do not have access to it.",
                                       "type": "invalid_request_error", "param": null, "code": "model_not_found"}}"""));
        }
    }

    @Test
    void maxConcurrency_beyondTheCap_gets429AtOnce_whileRequestsAreHeld() {
        Duration hold = Duration.ofSeconds(2);
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(
                        Options.builder().maxConcurrency(2).latency(hold).build());
                Http http = new Http(endpoint)) {
            List<CompletableFuture<HttpResponse<String>>> held = List.of(postAsync(http, CHAT), postAsync(http, CHAT));
            Http.await(
                    DEADLINE, "two requests in flight", () -> endpoint.stats().inFlight() == 2);

            long started = System.nanoTime();
            HttpResponse<String> refused = http.post("chat/completions", CHAT);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(elapsed)
                    .as("refused without waiting for the held requests")
                    .isLessThan(hold);
            JsonNode error = json(refused).path("error");
            assertThat(error.path("type").asText()).isEqualTo("rate_limit_error");
            assertThat(error.path("code").asText()).isEqualTo("rate_limit_exceeded");
            assertThat(held)
                    .allSatisfy(
                            request -> assertThat(request.join().statusCode()).isEqualTo(200));
            Stats stats = endpoint.stats();
            assertThat(stats.rateLimited()).isEqualTo(1);
            assertThat(stats.answered()).isEqualTo(2);
            assertThat(stats.maxInFlight()).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @CsvSource({"ERROR_500, 500, server_error", "ERROR_503, 503, server_error", "ERROR_429, 429, rate_limit_error"})
    void errorFault_answersItsStatusInOpenAisEnvelope(Fault fault, int status, String type) {
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(
                        Options.builder().fault(fault, 1.0).build());
                Http http = new Http(endpoint)) {
            HttpResponse<String> response = http.post("chat/completions", CHAT);

            assertThat(response.statusCode()).isEqualTo(status);
            assertThat(json(response).path("error").path("type").asText()).isEqualTo(type);
            assertThat(json(response).path("error").path("message").asText()).contains(fault.wireName());
            assertThat(endpoint.stats().faults(fault)).isEqualTo(1);
            assertThat(endpoint.stats().answered()).isZero();
        }
    }

    @Test
    void error429Fault_carriesRetryAfterOnSomeAnswersOnly() {
        try (ReferenceEndpoint endpoint =
                        ReferenceEndpoint.start(Options.builder().error429(1.0).build());
                Http http = new Http(endpoint)) {
            List<String> retryAfter = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> response = http.post("chat/completions", CHAT);
                assertThat(response.statusCode()).isEqualTo(429);
                retryAfter.add(response.headers().firstValue("retry-after").orElse("none"));
            }

            assertThat(retryAfter).containsOnly("1", "none").contains("1", "none");
        }
    }

    @ParameterizedTest
    @CsvSource({"1.0, 1", "0.0, none"})
    void error429Fault_withAllOrNoneOfItsAnswersCarryingRetryAfter(double share, String header) {
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(
                        Options.builder().error429(1.0).retryAfter429(share).build());
                Http http = new Http(endpoint)) {
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> response = http.post("chat/completions", CHAT);
                assertThat(response.statusCode()).isEqualTo(429);
                assertThat(response.headers().firstValue("retry-after").orElse("none"))
                        .isEqualTo(header);
            }
        }
    }

    @Test
    void aFaultModel_alwaysGetsItsFault_whileOtherModelsAreAnswered() {
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(Options.defaults());
                Http http = new Http(endpoint)) {
            for (int i = 0; i < 3; i++) {
                assertThat(http.post("chat/completions", CHAT.replace("gpt-test", "fault-error_503"))
                                .statusCode())
                        .isEqualTo(503);
            }
            HttpResponse<String> html = http.post("chat/completions", CHAT.replace("gpt-test", "fault-non_json_body"));
            HttpResponse<String> answered = http.post("chat/completions", CHAT);
            HttpResponse<String> unknownFault =
                    http.post("chat/completions", CHAT.replace("gpt-test", "fault-gremlins"));

            assertThat(html.headers().firstValue("content-type")).contains("text/html");
            assertThat(answered.statusCode()).isEqualTo(200);
            assertThat(unknownFault.statusCode())
                    .as("not a fault's name: an ordinary model")
                    .isEqualTo(200);
            assertThat(endpoint.stats().faults(Fault.ERROR_503)).isEqualTo(3);
            assertThat(endpoint.stats().faults(Fault.NON_JSON_BODY)).isEqualTo(1);
            assertThat(endpoint.stats().answered()).isEqualTo(2);
        }
    }

    @Test
    void timeoutFault_holdsTheRequestLongerThanTheClientWaits() {
        try (ReferenceEndpoint endpoint =
                        ReferenceEndpoint.start(Options.builder().timeout(1.0).build());
                Http http = new Http(endpoint)) {
            HttpRequest request = http.request("chat/completions")
                    .timeout(Duration.ofMillis(300))
                    .POST(HttpRequest.BodyPublishers.ofString(CHAT))
                    .build();

            assertThatThrownBy(() -> http.send(request)).hasCauseInstanceOf(HttpTimeoutException.class);
            assertThat(endpoint.stats().faults(Fault.TIMEOUT)).isEqualTo(1);
        }
    }

    @Test
    void timeoutFault_answersNormallyOnceTheHoldIsOver() {
        Duration hold = Duration.ofMillis(300);
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(
                        Options.builder().timeout(1.0).timeoutHold(hold).build());
                Http http = new Http(endpoint)) {
            long started = System.nanoTime();
            HttpResponse<String> response = http.post("chat/completions", CHAT);

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(hold);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(json(response).path("object").asText()).isEqualTo("chat.completion");
            assertThat(endpoint.stats().answered()).isEqualTo(1);
        }
    }

    @Test
    void connectionResetFault_closesTheConnectionWithoutAnyResponse() {
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(
                        Options.builder().connectionReset(1.0).build());
                Http http = new Http(endpoint)) {
            assertThatThrownBy(() -> http.post("chat/completions", CHAT))
                    .hasCauseInstanceOf(IOException.class)
                    .cause()
                    .isNotInstanceOf(HttpTimeoutException.class);
            assertThat(endpoint.stats().faults(Fault.CONNECTION_RESET)).isEqualTo(1);
            assertThat(endpoint.stats().answered()).isZero();
        }
    }

    @Test
    void truncatedBodyFault_sends200_thenFewerBytesThanItsContentLength() throws Exception {
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(
                        Options.builder().truncatedBody(1.0).build());
                Http http = new Http(endpoint)) {
            HttpRequest request = http.request("chat/completions")
                    .POST(HttpRequest.BodyPublishers.ofString(CHAT))
                    .build();

            HttpResponse<InputStream> response = http.client().send(request, HttpResponse.BodyHandlers.ofInputStream());

            assertThat(response.statusCode()).isEqualTo(200);
            long promised =
                    response.headers().firstValueAsLong("content-length").orElseThrow();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            try (InputStream body = response.body()) {
                assertThatThrownBy(() -> body.transferTo(received)).isInstanceOf(IOException.class);
            }
            assertThat((long) received.size()).isLessThan(promised);
            assertThat(endpoint.stats().faults(Fault.TRUNCATED_BODY)).isEqualTo(1);
            assertThat(endpoint.stats().answered()).isZero();
        }
    }

    @Test
    void nonJsonBodyFault_sends200WithHtml() {
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(
                        Options.builder().nonJsonBody(1.0).build());
                Http http = new Http(endpoint)) {
            HttpResponse<String> response = http.post("chat/completions", CHAT);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("content-type")).contains("text/html");
            assertThat(response.body()).isEqualTo("<html>oops</html>");
            assertThat(endpoint.stats().faults(Fault.NON_JSON_BODY)).isEqualTo(1);
            assertThat(endpoint.stats().answered()).isZero();
        }
    }

    @Test
    void faults_withTheSameSeed_fallOnTheSameRequests() {
        Options options = Options.builder().error500(0.3).error503(0.3).seed(42).build();

        List<Integer> first = statuses(options, 30);
        List<Integer> second = statuses(options, 30);
        List<Integer> otherSeed =
                statuses(Options.builder().error500(0.3).error503(0.3).seed(43).build(), 30);

        assertThat(first).isEqualTo(second).contains(200, 500, 503);
        assertThat(otherSeed).isNotEqualTo(first);
    }

    @Test
    void stats_countRequestsAnswersPathsFaults_andTheMostInFlightAtOnce() {
        int concurrent = 5;
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(
                        Options.builder().latency(Duration.ofSeconds(2)).build());
                Http http = new Http(endpoint)) {
            List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
            for (int i = 0; i < concurrent; i++) {
                requests.add(postAsync(http, CHAT));
            }
            Http.await(
                    DEADLINE,
                    concurrent + " requests in flight",
                    () -> endpoint.stats().inFlight() == concurrent);
            requests.forEach(CompletableFuture::join);
            http.post("embeddings", """
                    {"model": "error-400", "input": "x"}""");
            http.post("nowhere", "{}");

            Stats stats = endpoint.stats();
            assertThat(stats.requests()).isEqualTo(concurrent + 2);
            assertThat(stats.answered()).isEqualTo(concurrent);
            assertThat(stats.requests("/v1/chat/completions")).isEqualTo(concurrent);
            assertThat(stats.requests("/v1/embeddings")).isEqualTo(1);
            assertThat(stats.requests("/v1/nowhere")).isEqualTo(1);
            assertThat(stats.inFlight()).isZero();
            assertThat(stats.maxInFlight()).isEqualTo(concurrent);

            JsonNode served = json(http.get("/stats"));
            assertThat(served.path("requests").asInt()).isEqualTo(concurrent + 2);
            assertThat(served.path("answered").asInt()).isEqualTo(concurrent);
            assertThat(served.path("max_in_flight").asInt()).isEqualTo(concurrent);
            assertThat(served.path("requests_by_path")
                            .path("/v1/chat/completions")
                            .asInt())
                    .isEqualTo(concurrent);
            assertThat(endpoint.stats().requests())
                    .as("GET /stats is not itself counted")
                    .isEqualTo(concurrent + 2);
        }
    }

    @Test
    void stats_areServedWithFaultsByKind() {
        try (ReferenceEndpoint endpoint =
                        ReferenceEndpoint.start(Options.builder().error503(1.0).build());
                Http http = new Http(endpoint)) {
            http.post("responses", """
                    {"model": "gpt-test", "input": "hi"}""");
            http.post("responses", """
                    {"model": "gpt-test", "input": "hi"}""");

            JsonNode served = json(http.get("/stats"));
            assertThat(served.path("faults").path("error_503").asInt()).isEqualTo(2);
            assertThat(served.path("answered").asInt()).isZero();
        }
    }

    @Test
    void connectionsKeptAlive_staySo_evenWithMoreIdleAtOnceThanTheJdksServerKeepsByDefault() throws IOException {
        // 300 clients, each on a connection of its own, each sending its next request on the connection its
        // answer came on: the JDK's server would close every one past its 200th idle after its first answer.
        int clients = 300;
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(Options.defaults())) {
            List<Socket> connections = new ArrayList<>();
            try {
                for (int i = 0; i < clients; i++) {
                    Socket connection = new Socket(
                            endpoint.baseUrl().getHost(), endpoint.baseUrl().getPort());
                    connection.setSoTimeout((int) DEADLINE.toMillis());
                    connections.add(connection);
                }
                for (int round = 1; round <= 2; round++) {
                    for (Socket connection : connections) {
                        byte[] body = CHAT.getBytes(StandardCharsets.UTF_8);
                        OutputStream out = connection.getOutputStream();
                        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                        + "Content-Type: application/json\r\nContent-Length: " + body.length
                                        + "\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        out.write(body);
                        out.flush();
                    }
                    for (Socket connection : connections) {
                        assertThat(statusOfAnswer(connection.getInputStream()))
                                .as("round %d's answer on a kept-alive connection", round)
                                .isEqualTo(200);
                    }
                }
            } finally {
                for (Socket connection : connections) {
                    connection.close();
                }
            }
            assertThat(endpoint.stats().answered()).isEqualTo(2L * clients);
        }
    }

    /** Reads one HTTP/1.1 answer off a connection, body and all: its status, or -1 if the connection closed. */
    private static int statusOfAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return -1;
            }
            head.write(b);
        }
        String headers = head.toString(StandardCharsets.US_ASCII);
        Matcher length = Pattern.compile("(?i)content-length: *(\\d+)").matcher(headers);
        if (length.find()) {
            in.readNBytes(Integer.parseInt(length.group(1)));
        }
        return Integer.parseInt(headers.substring("HTTP/1.1 ".length(), "HTTP/1.1 ".length() + 3));
    }

    private static List<Integer> statuses(Options options, int requests) {
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(options);
                Http http = new Http(endpoint)) {
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                statuses.add(http.post("chat/completions", CHAT).statusCode());
            }
            return statuses;
        }
    }

    private static CompletableFuture<HttpResponse<String>> postAsync(Http http, String body) {
        return http.client()
                .sendAsync(
                        http.request("chat/completions")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }
}
