package dev.openbatch.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.openbatch.core.Json;
import dev.openbatch.local.iam.LocalIam;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The account's default EventBridge bus, locally, as far as openbatch uses it: the PutEvents call of
 * EventBridge's JSON protocol, served to the functions' SDK clients (which the IAM check sees as in the
 * account). There is no rule engine here; each event is appended, as EventBridge would hand it to a
 * rule's target ({@code version}, {@code id}, {@code detail-type}, {@code source}, {@code account},
 * {@code time}, {@code region}, {@code resources}, {@code detail}), to {@code events/default.jsonl} in
 * the data directory, where an operator (or a test) reads what a rule would have matched.
 */
final class LocalEventBus implements AutoCloseable {

    private final HttpServer server;
    private final Path log;
    private final String region;

    private LocalEventBus(HttpServer server, Path log, String region) {
        this.server = server;
        this.log = log;
        this.region = region;
    }

    static LocalEventBus start(String host, Path dataDir, String region) {
        try {
            Path log = dataDir.resolve("events").resolve("default.jsonl");
            Files.createDirectories(log.getParent());
            HttpServer server = HttpServer.create(new InetSocketAddress(host, 0), 0);
            LocalEventBus bus = new LocalEventBus(server, log, region);
            server.createContext("/", bus::serve);
            server.start();
            return bus;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    URI endpoint() {
        return URI.create("http://" + server.getAddress().getHostString() + ":"
                + server.getAddress().getPort());
    }

    /** The events put on the bus so far, oldest first. */
    Path log() {
        return log;
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            if (!"AWSEvents.PutEvents".equals(target)) {
                answer(
                        exchange,
                        400,
                        Json.MAPPER
                                .createObjectNode()
                                .put("__type", "UnknownOperationException")
                                .put("message", "the local event bus serves PutEvents only, not " + target));
                return;
            }
            JsonNode request = Json.MAPPER.readTree(exchange.getRequestBody());
            ObjectNode response = Json.MAPPER.createObjectNode().put("FailedEntryCount", 0);
            ArrayNode answered = response.putArray("Entries");
            List<String> lines = new ArrayList<>();
            for (JsonNode entry : request.path("Entries")) {
                String id = UUID.randomUUID().toString();
                ObjectNode event = Json.MAPPER
                        .createObjectNode()
                        .put("version", "0")
                        .put("id", id)
                        .put("detail-type", entry.path("DetailType").asText())
                        .put("source", entry.path("Source").asText())
                        .put("account", LocalIam.ACCOUNT)
                        .put(
                                "time",
                                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString())
                        .put("region", region);
                event.set("resources", entry.has("Resources") ? entry.get("Resources") : Json.MAPPER.createArrayNode());
                event.set("detail", Json.MAPPER.readTree(entry.path("Detail").asText("{}")));
                lines.add(Json.writeString(event) + "\n");
                answered.addObject().put("EventId", id);
            }
            synchronized (this) {
                Files.writeString(
                        log,
                        String.join("", lines),
                        StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            }
            answer(exchange, 200, response);
        }
    }

    private static void answer(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        byte[] bytes = Json.write(body);
        exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
