package dev.openbatch.reference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.openbatch.core.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An OpenAI-compatible inference endpoint that stands in for a GPU server (vLLM and the like) in local mode
 * and in tests. It is honest: every answer says what the request carried, in the assistant text and in a
 * top-level {@code "received"} field, and nothing else is made up. Latency, a concurrency cap and faults can
 * be switched on through {@link Options} to see how a client copes.
 *
 * <p>Serves {@code POST /v1/chat/completions}, {@code /v1/completions}, {@code /v1/embeddings},
 * {@code /v1/responses} and {@code /v1/moderations}; {@code GET /stats} (the {@link Stats} as JSON) and {@code GET /health}. A request
 * whose model is {@code error-NNN} is always answered with status NNN, and one whose model is
 * {@code fault-<name>} (a {@link Fault#wireName()}, e.g. {@code fault-connection_reset}) always gets that
 * fault, so tests can write lines that fail. Told which models it serves ({@link Options#models}), it
 * answers a request naming another as OpenAI does, with a 404 {@code model_not_found}.
 */
public final class ReferenceEndpoint implements AutoCloseable {

    private static final String JSON = "application/json";
    private static final Pattern ERROR_MODEL = Pattern.compile("error-([45]\\d\\d)");
    private static final Pattern FAULT_MODEL = Pattern.compile("fault-([a-z0-9_]+)");
    private static final String MAX_IDLE_CONNECTIONS = "sun.net.httpserver.maxIdleConnections";

    static {
        // Once 200 connections are idle, the JDK's server closes each further one as soon as its answer is
        // sent, which no GPU server does: a client reusing it for its next request finds it gone (128
        // clients beside a runtime's 128 lost requests so). Read when the JVM's first HttpServer starts, so
        // it holds where the reference endpoint is the first server (its own process, the local runtime).
        if (System.getProperty(MAX_IDLE_CONNECTIONS) == null) {
            System.setProperty(MAX_IDLE_CONNECTIONS, "100000");
        }
    }

    /** Each inference path, and how it turns a request body and its parsed JSON into an answer. */
    private static final Map<String, BiFunction<byte[], JsonNode, ObjectNode>> ROUTES = Map.of(
            "/v1/chat/completions", (body, request) -> Answers.chatCompletion(body, Received.fromChat(request)),
            "/v1/completions", (body, request) -> Answers.textCompletion(body, Received.fromCompletions(request)),
            "/v1/embeddings", (body, request) -> Answers.embeddings(request, Received.fromEmbeddings(request)),
            "/v1/responses", (body, request) -> Answers.response(body, request, Received.fromResponses(request)),
            "/v1/moderations", (body, request) -> Answers.moderation(body, request, Received.fromModerations(request)));

    private final Options options;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Counters counters = new Counters();
    private final Faults faults;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ReferenceEndpoint(Options options) {
        this.options = options;
        this.faults = new Faults(options);
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", options.port()), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + options.port(), e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Listens on 127.0.0.1 and serves until closed. */
    public static ReferenceEndpoint start(Options options) {
        return new ReferenceEndpoint(options);
    }

    /** Where an OpenAI client should point, such as {@code http://127.0.0.1:8000/v1}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
    }

    public Stats stats() {
        return counters.snapshot();
    }

    /** Stops listening and interrupts requests still being held, so a timeout fault does not outlive the test. */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            switch (path) {
                case "/health" -> control(exchange, "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8));
                case "/stats" -> control(exchange, Json.write(stats()));
                default -> {
                    int inFlight = counters.arrived(path);
                    try {
                        serve(exchange, path, inFlight);
                    } finally {
                        counters.left();
                    }
                }
            }
        } catch (IOException e) {
            // The client hung up before its answer was written: there is no one left to answer.
        } catch (InterruptedException e) {
            // The endpoint is closing; closing the exchange drops the connection.
            Thread.currentThread().interrupt();
        }
    }

    private static void control(HttpExchange exchange, byte[] body) throws IOException {
        if (!exchange.getRequestMethod().equals("GET")) {
            send(exchange, methodNotAllowed(exchange, "GET"));
        } else {
            send(exchange, new Reply(200, JSON, body));
        }
    }

    private void serve(HttpExchange exchange, String path, int inFlight) throws IOException, InterruptedException {
        BiFunction<byte[], JsonNode, ObjectNode> route = ROUTES.get(path);
        if (route == null) {
            send(
                    exchange,
                    Reply.of(new Refusal(
                            404,
                            "invalid_request_error",
                            "Unknown path " + path + ": the reference endpoint serves "
                                    + String.join(", ", new TreeSet<>(ROUTES.keySet())) + ".",
                            null,
                            "unknown_url")));
            return;
        }
        if (!exchange.getRequestMethod().equals("POST")) {
            send(exchange, methodNotAllowed(exchange, "POST"));
            return;
        }
        if (options.maxConcurrency() > 0 && inFlight > options.maxConcurrency()) {
            counters.rateLimited();
            send(
                    exchange,
                    Reply.of(new Refusal(
                            429,
                            "rate_limit_error",
                            "The reference endpoint is at its limit of " + options.maxConcurrency()
                                    + " requests in flight; retry later.",
                            null,
                            "rate_limit_exceeded")));
            return;
        }
        byte[] body = exchange.getRequestBody().readAllBytes();
        Thread.sleep(latency());
        // The reply is made even when a fault follows: a truncated body cuts it short, a timeout sends it late.
        Reply reply = answer(route, body);
        Optional<Fault> fault = modelFault(body).or(faults::draw);
        if (fault.isPresent()) {
            counters.injected(fault.get());
            inject(exchange, fault.get(), reply);
        } else {
            deliver(exchange, reply);
        }
    }

    /** Misbehaves in one way instead of sending the reply, or, for a timeout, before sending it. */
    private void inject(HttpExchange exchange, Fault fault, Reply reply) throws IOException, InterruptedException {
        switch (fault) {
            case ERROR_500 -> send(exchange, injectedError(500, "server_error", fault));
            case ERROR_503 -> send(exchange, injectedError(503, "server_error", fault));
            case ERROR_429 -> {
                if (faults.withRetryAfter()) {
                    exchange.getResponseHeaders().set("Retry-After", "1");
                }
                send(exchange, injectedError(429, "rate_limit_error", fault));
            }
            case TIMEOUT -> {
                Thread.sleep(options.timeoutHold());
                deliver(exchange, reply);
            }
            case CONNECTION_RESET -> {
                // Returning without response headers makes the server close the connection: the client sees
                // the connection drop mid-request.
            }
            case TRUNCATED_BODY -> {
                exchange.getResponseHeaders().set("Content-Type", reply.contentType());
                exchange.sendResponseHeaders(200, reply.body().length);
                OutputStream out = exchange.getResponseBody();
                out.write(reply.body(), 0, reply.body().length / 2);
                out.flush();
                // Closing the exchange with bytes still owed drops the connection, which is the fault.
            }
            case NON_JSON_BODY ->
                send(exchange, new Reply(200, "text/html", "<html>oops</html>".getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** The honest reply to a request: an answer, or a refusal saying what is wrong with it. */
    private Reply answer(BiFunction<byte[], JsonNode, ObjectNode> route, byte[] body) {
        try {
            JsonNode request = parse(body);
            String model = request.path("model").asText();
            if (!options.serves(model)) {
                throw new Refusal(
                        404,
                        "invalid_request_error",
                        "The model `" + model + "` does not exist or you do not have access to it.",
                        null,
                        "model_not_found");
            }
            failIfErrorModel(model);
            if (request.path("stream").asBoolean(false)) {
                throw Refusal.invalidRequest(
                        "The reference endpoint does not stream; send \"stream\": false.", "stream");
            }
            return new Reply(200, JSON, Json.write(route.apply(body, request)));
        } catch (Refusal refusal) {
            return Reply.of(refusal);
        } catch (RuntimeException bug) {
            // Said plainly as a 500, so that a bug here is not mistaken for an injected connection fault.
            return Reply.of(new Refusal(
                    500, "server_error", "The reference endpoint failed on this request: " + bug, null, null));
        }
    }

    private static JsonNode parse(byte[] body) {
        try {
            JsonNode request = Json.MAPPER.readTree(body);
            if (request != null && request.isObject()) {
                return request;
            }
        } catch (JsonProcessingException e) {
            // answered below, as OpenAI does, without echoing the parser's complaint
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw Refusal.invalidRequest(
                "We could not parse the JSON body of your request: the reference endpoint" + " expects a JSON object.",
                null);
    }

    /** The fault a request's model asks for, {@code fault-<name>}, if it names one. */
    private static Optional<Fault> modelFault(byte[] body) {
        try {
            Matcher fault =
                    FAULT_MODEL.matcher(Json.MAPPER.readTree(body).path("model").asText());
            return fault.matches() ? Fault.byWireName(fault.group(1)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static void failIfErrorModel(String model) {
        Matcher error = ERROR_MODEL.matcher(model);
        if (error.matches()) {
            int status = Integer.parseInt(error.group(1));
            throw new Refusal(
                    status,
                    errorType(status),
                    "The model " + model + " always fails with status " + status + " at the reference endpoint.",
                    "model",
                    null);
        }
    }

    /** OpenAI's error type for a status. */
    private static String errorType(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }

    private static Reply injectedError(int status, String type, Fault fault) {
        return Reply.of(new Refusal(
                status, type, "Fault injected by the reference endpoint: " + fault.wireName() + ".", null, null));
    }

    private static Reply methodNotAllowed(HttpExchange exchange, String allowed) {
        exchange.getResponseHeaders().set("Allow", allowed);
        return Reply.of(new Refusal(
                405,
                "invalid_request_error",
                exchange.getRequestMethod() + " is not allowed on "
                        + exchange.getRequestURI().getPath() + "; use " + allowed + ".",
                null,
                "method_not_allowed"));
    }

    /** Latency plus a share of the jitter; the jitter needs no seed, since timings are never repeatable anyway. */
    private Duration latency() {
        long jitter = options.latencyJitter().toNanos();
        return jitter == 0
                ? options.latency()
                : options.latency().plusNanos(ThreadLocalRandom.current().nextLong(jitter + 1));
    }

    /** Sends the honest reply to a request, counting it if it is an answer. */
    private void deliver(HttpExchange exchange, Reply reply) throws IOException {
        send(exchange, reply);
        if (reply.status() == 200) {
            counters.answered();
        }
    }

    private static void send(HttpExchange exchange, Reply reply) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", reply.contentType());
        exchange.sendResponseHeaders(reply.status(), reply.body().length);
        exchange.getResponseBody().write(reply.body());
    }

    /** What goes back over HTTP. */
    private record Reply(int status, String contentType, byte[] body) {
        static Reply of(Refusal refusal) {
            return new Reply(refusal.status(), JSON, Json.write(refusal.error()));
        }
    }
}
