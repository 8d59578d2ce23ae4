package dev.openbatch.core.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.openbatch.core.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny OpenAI-compatible endpoint for core tests. By the request's {@code model}: {@code error-NNN}
 * always answers NNN; {@code flaky-N} answers 503 (with {@code Retry-After: 0}) to its first N
 * attempts per custom id in {@code metadata.id}; {@code garbage} answers a body that is not JSON;
 * {@code slow} takes 20 ms; {@code capped-N} takes 20 ms and answers 429 (with {@code Retry-After: 0})
 * while more than N requests are in flight; {@code once-NNN} answers NNN to the first request per
 * custom id in {@code metadata.id}, then succeeds; {@code busy-N} answers 503 with {@code Retry-After: N}
 * to the first request per custom id, then succeeds; {@code held} is answered once {@link #release} is
 * counted down, {@link #held} counting those waiting;
 * anything else a chat completion echoing the model. While {@link #requiredAuthorization} is set, a
 * request without that {@code Authorization} header is answered 401.
 */
public final class StubEndpoint implements AutoCloseable {

    private final HttpServer server;
    public final AtomicInteger requests = new AtomicInteger();
    public final AtomicInteger maxInFlight = new AtomicInteger();
    public final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    /** The {@code Authorization} header every request must carry, or null for none. */
    public volatile String requiredAuthorization;

    public final AtomicInteger unauthorized = new AtomicInteger();

    /** What {@code held} requests wait for. */
    public final CountDownLatch release = new CountDownLatch(1);

    public final AtomicInteger held = new AtomicInteger();

    /** While not 0, every request is answered this status with an error body, whatever its model: a replica gone bad. */
    public volatile int failing;

    public StubEndpoint() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/", exchange -> {
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            boolean counted = true;
            try (exchange) {
                requests.incrementAndGet();
                JsonNode body = Json.MAPPER.readTree(exchange.getRequestBody());
                String model = body.path("model").asText();
                int status = 200;
                String answer = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"" + model
                        + "\",\"path\":\"" + exchange.getRequestURI().getPath() + "\","
                        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"}}]}";
                String required = requiredAuthorization;
                if (failing != 0) {
                    status = failing;
                    answer =
                            "{\"error\":{\"message\":\"down\",\"type\":\"server_error\",\"param\":null,\"code\":null}}";
                } else if (required != null
                        && !required.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                    unauthorized.incrementAndGet();
                    status = 401;
                    answer =
                            "{\"error\":{\"message\":\"bad key\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}";
                } else if (model.startsWith("error-")) {
                    status = Integer.parseInt(model.substring(6));
                    answer =
                            "{\"error\":{\"message\":\"refused\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}";
                } else if (model.startsWith("flaky-")) {
                    int failures = Integer.parseInt(model.substring(6));
                    String key = body.path("metadata").path("id").asText();
                    if (attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet() <= failures) {
                        status = 503;
                        answer =
                                "{\"error\":{\"message\":\"busy\",\"type\":\"server_error\",\"param\":null,\"code\":null}}";
                        exchange.getResponseHeaders().add("Retry-After", "0");
                    }
                } else if (model.startsWith("once-")) {
                    String key = body.path("metadata").path("id").asText();
                    if (attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet() == 1) {
                        status = Integer.parseInt(model.substring(5));
                        answer =
                                "{\"error\":{\"message\":\"refused once\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}";
                    }
                } else if (model.startsWith("busy-")) {
                    String key = body.path("metadata").path("id").asText();
                    if (attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet() == 1) {
                        status = 503;
                        answer =
                                "{\"error\":{\"message\":\"busy\",\"type\":\"server_error\",\"param\":null,\"code\":null}}";
                        exchange.getResponseHeaders().add("Retry-After", model.substring(5));
                    }
                } else if (model.equals("slow")) {
                    pause(20);
                } else if (model.equals("held")) {
                    held.incrementAndGet();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                } else if (model.startsWith("capped-")) {
                    if (now > Integer.parseInt(model.substring(7))) {
                        refused.incrementAndGet();
                        status = 429;
                        answer =
                                "{\"error\":{\"message\":\"over capacity\",\"type\":\"server_error\",\"param\":null,\"code\":null}}";
                        exchange.getResponseHeaders().add("Retry-After", "0");
                    } else {
                        pause(20);
                    }
                } else if (model.equals("garbage")) {
                    answer = "<html>oops</html>";
                }
                if (body.has("x_usage") && answer.endsWith("}")) {
                    // The line says what its answer reports as usage, to test what the batch sums.
                    answer = answer.substring(0, answer.length() - 1) + ",\"usage\":" + body.get("x_usage") + "}";
                }
                byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("x-request-id", "req-stub-" + requests.get());
                // A request stops counting before its answer leaves: once the client has the answer it may
                // send the next, which must not meet this one still counted.
                inFlight.decrementAndGet();
                counted = false;
                exchange.sendResponseHeaders(status, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            } finally {
                if (counted) {
                    inFlight.decrementAndGet();
                }
            }
        });
        server.start();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
    }
}
