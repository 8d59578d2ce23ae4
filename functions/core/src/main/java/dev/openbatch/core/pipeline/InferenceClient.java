package dev.openbatch.core.pipeline;

import dev.openbatch.core.jobs.Job;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;

/** Sends one request to one of a job's OpenAI-compatible endpoints over the JDK HTTP client. */
public final class InferenceClient {

    /**
     * What the endpoint answered.
     *
     * @param status     the HTTP status
     * @param requestId  its {@code x-request-id}, if it sent one
     * @param retryAfter its {@code Retry-After}, if it sent one
     * @param body       the raw body
     */
    public record Answer(int status, Optional<String> requestId, Optional<String> retryAfter, byte[] body) {}

    private final HttpClient http;
    private final Duration requestTimeout;

    public InferenceClient(Duration connectTimeout, Duration requestTimeout) {
        this.http = HttpClient.newBuilder()
                // vLLM and its kin serve HTTP/1.1; asking for h2c upgrades would only cost a round trip.
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
        this.requestTimeout = requestTimeout;
    }

    /** The absolute URL of a batch line's {@code url} (e.g. {@code /v1/chat/completions}) at an endpoint. */
    public static URI target(Job.Endpoint endpoint, String url) {
        String base = endpoint.baseUrl().toString().replaceAll("/+$", "");
        String path = base.endsWith("/v1") && url.startsWith("/v1/") ? url.substring(3) : url;
        return URI.create(base + path);
    }

    public Answer post(Job.Endpoint endpoint, String url, RequestBody body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(target(endpoint, url))
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(
                        body.segments().size() == 1
                                ? HttpRequest.BodyPublishers.ofByteArray(
                                        body.segments().getFirst())
                                : HttpRequest.BodyPublishers.concat(body.segments().stream()
                                        .map(HttpRequest.BodyPublishers::ofByteArray)
                                        .toArray(HttpRequest.BodyPublisher[]::new)));
        if (endpoint.auth() != null) {
            request.header(endpoint.auth().name(), endpoint.auth().value());
        }
        HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(
                response.statusCode(),
                response.headers().firstValue("x-request-id"),
                response.headers().firstValue("retry-after"),
                response.body());
    }
}
