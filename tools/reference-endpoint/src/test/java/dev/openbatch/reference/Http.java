package dev.openbatch.reference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/** A plain HTTP client for one reference endpoint, as a client of the service would call it. */
final class Http implements AutoCloseable {

    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ReferenceEndpoint endpoint;

    Http(ReferenceEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /** {@code POST /v1/<path>} with a JSON body. */
    HttpResponse<String> post(String path, String json) {
        return send(
                request(path).POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(endpoint.baseUrl() + "/" + path))
                .header("Content-Type", "application/json");
    }

    /** A path on the endpoint's root, outside {@code /v1}, such as {@code /stats}. */
    HttpResponse<String> get(String rootPath) {
        return send(HttpRequest.newBuilder(endpoint.baseUrl().resolve(rootPath))
                .GET()
                .build());
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpClient client() {
        return client;
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the condition holds, failing once the deadline passes. */
    static void await(Duration deadline, String what, BooleanSupplier condition) {
        Instant giveUp = Instant.now().plus(deadline);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(giveUp)) {
                throw new AssertionError("not within " + deadline + ": " + what);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(5); // a short pause between polls, not a guess at how long anything takes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
