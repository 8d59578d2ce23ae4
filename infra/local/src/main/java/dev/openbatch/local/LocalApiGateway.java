package dev.openbatch.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2CustomAuthorizerEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.OpenAiError;
import dev.openbatch.core.http.Console;
import dev.openbatch.local.lambda.FunctionError;
import dev.openbatch.local.lambda.LocalLambda;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * What API Gateway's HTTP API does in the cloud: turns each HTTP request into a payload-format-2.0
 * event, invokes the API function with it, and turns the function's answer back into HTTP. Bodies
 * stop at API Gateway's 10 MB and events at Lambda's 6 MB; a function that fails is a 500.
 * Also serves {@code GET /health}, which answers 200 once the whole runtime is up. The console
 * ({@code /console}) goes to the function without the authorizer, as its route does in the cloud.
 */
final class LocalApiGateway implements AutoCloseable {

    /** API Gateway refuses request bodies over 10 MB before any function sees them. */
    static final int MAX_BODY_BYTES = 10 * 1024 * 1024;

    private static final DateTimeFormatter REQUEST_TIME = DateTimeFormatter.ofPattern(
                    "dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH)
            .withZone(ZoneOffset.UTC);

    private static final System.Logger LOG = System.getLogger(LocalApiGateway.class.getName());

    /** HTTP API's answers when Lambda refuses the request, and when the function fails. */
    private static final byte[] REQUEST_TOO_LARGE =
            "{\"message\":\"Request Entity Too Large\"}".getBytes(StandardCharsets.UTF_8);

    private static final byte[] INTERNAL_SERVER_ERROR =
            "{\"message\":\"Internal Server Error\"}".getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;

    /**
     * @param function   the API function, each request one synchronous invocation of it
     * @param authorizer the Lambda authorizer every request goes through first, as the cloud's route has it,
     *                   or null when API keys are off
     */
    LocalApiGateway(
            String host,
            int port,
            LocalLambda<RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>> function,
            LocalLambda<RequestHandler<APIGatewayV2CustomAuthorizerEvent, SimpleIAMPolicyResponse>> authorizer,
            BooleanSupplier healthy) {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            if (PortInUseException.isBindFailure(e)) {
                throw new PortInUseException("the API", host, port, "--port");
            }
            throw new UncheckedIOException("cannot listen on " + host + ":" + port, e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/health", exchange -> {
            boolean up = healthy.getAsBoolean();
            send(
                    exchange,
                    up ? 200 : 503,
                    Map.of("content-type", "application/json"),
                    (up ? "{\"status\":\"ok\"}" : "{\"status\":\"starting\"}").getBytes(StandardCharsets.UTF_8));
        });
        server.createContext("/", exchange -> {
            try (exchange) {
                byte[] body = readBody(exchange.getRequestBody());
                if (body == null) {
                    send(
                            exchange,
                            413,
                            Map.of("content-type", "application/json"),
                            Json.write(new OpenAiError(new OpenAiError.Detail(
                                    "Request Entity Too Large: a request body may be at most " + MAX_BODY_BYTES
                                            + " bytes.",
                                    "invalid_request_error",
                                    null,
                                    null))));
                    return;
                }
                APIGatewayV2HTTPEvent event = toEvent(exchange, body);
                if (Json.write(event).length > LocalLambda.MAX_SYNC_PAYLOAD_BYTES) {
                    // Within API Gateway's 10 MB, beyond Lambda's 6 MB: the function is never invoked.
                    send(exchange, 413, Map.of("content-type", "application/json"), REQUEST_TOO_LARGE);
                    return;
                }
                try {
                    // As the cloud's routes have it: the console's page and assets need no key.
                    if (authorizer != null && !Console.serves(event.getRawPath())) {
                        APIGatewayV2CustomAuthorizerEvent authorizerEvent = authorizerEvent(event);
                        SimpleIAMPolicyResponse decision = authorizer.invoke(
                                (handler, context) -> handler.handleRequest(authorizerEvent, context));
                        if (!decision.getIsAuthorized()) {
                            send(
                                    exchange,
                                    403,
                                    Map.of("content-type", "application/json"),
                                    "{\"message\":\"Forbidden\"}".getBytes(StandardCharsets.UTF_8));
                            return;
                        }
                        event.getRequestContext()
                                .setAuthorizer(APIGatewayV2HTTPEvent.RequestContext.Authorizer.builder()
                                        .withLambda(new LinkedHashMap<>(decision.getContext()))
                                        .build());
                    }
                    APIGatewayV2HTTPResponse response =
                            function.invoke((handler, context) -> handler.handleRequest(event, context));
                    if (Json.write(response).length > LocalLambda.MAX_SYNC_PAYLOAD_BYTES) {
                        throw FunctionError.responseTooLarge(LocalLambda.MAX_SYNC_PAYLOAD_BYTES);
                    }
                    send(exchange, response);
                } catch (RuntimeException e) {
                    // A function that failed, timed out or answered too much: API Gateway answers 500.
                    LOG.log(
                            System.Logger.Level.ERROR,
                            exchange.getRequestMethod() + " " + exchange.getRequestURI() + " failed in its function",
                            e);
                    send(exchange, 500, Map.of("content-type", "application/json"), INTERNAL_SERVER_ERROR);
                }
            }
        });
    }

    int port() {
        return server.getAddress().getPort();
    }

    void start() {
        server.start();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private static byte[] readBody(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
        return body.length > MAX_BODY_BYTES ? null : body;
    }

    /** What API Gateway sends a payload 2.0 authorizer: the request's headers, route and context. */
    private static APIGatewayV2CustomAuthorizerEvent authorizerEvent(APIGatewayV2HTTPEvent event) {
        return APIGatewayV2CustomAuthorizerEvent.builder()
                .withVersion("2.0")
                .withType("REQUEST")
                .withRouteArn("arn:aws:execute-api:local:000000000000:local/$default/"
                        + event.getRequestContext().getHttp().getMethod() + event.getRawPath())
                .withRouteKey(event.getRouteKey())
                .withRawPath(event.getRawPath())
                .withRawQueryString(event.getRawQueryString())
                .withHeaders(event.getHeaders())
                .withQueryStringParameters(event.getQueryStringParameters())
                .build();
    }

    static APIGatewayV2HTTPEvent toEvent(HttpExchange exchange, byte[] body) {
        Map<String, String> headers = new LinkedHashMap<>();
        exchange.getRequestHeaders()
                .forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), String.join(",", values)));
        String rawQuery = exchange.getRequestURI().getRawQuery();
        String contentType = headers.getOrDefault("content-type", "");
        // As API Gateway: text bodies pass as they are, anything else base64-encoded.
        boolean text = contentType.startsWith("application/json") || contentType.startsWith("text/");
        Instant now = Instant.now();
        String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        String path = exchange.getRequestURI().getRawPath();
        return APIGatewayV2HTTPEvent.builder()
                .withVersion("2.0")
                .withRouteKey("$default")
                .withRawPath(path)
                .withRawQueryString(rawQuery == null ? "" : rawQuery)
                .withHeaders(headers)
                .withQueryStringParameters(rawQuery == null ? null : queryParameters(rawQuery))
                .withBody(
                        body.length == 0
                                ? null
                                : text
                                        ? new String(body, StandardCharsets.UTF_8)
                                        : Base64.getEncoder().encodeToString(body))
                .withIsBase64Encoded(body.length > 0 && !text)
                .withRequestContext(APIGatewayV2HTTPEvent.RequestContext.builder()
                        .withAccountId("000000000000")
                        .withApiId("local")
                        .withDomainName(headers.getOrDefault("host", "localhost"))
                        .withStage("$default")
                        .withRouteKey("$default")
                        .withRequestId(UUID.randomUUID().toString())
                        .withTime(REQUEST_TIME.format(now))
                        .withTimeEpoch(now.toEpochMilli())
                        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder()
                                .withMethod(method)
                                .withPath(path)
                                .withProtocol(exchange.getProtocol())
                                .withSourceIp(
                                        exchange.getRemoteAddress().getAddress().getHostAddress())
                                .withUserAgent(headers.getOrDefault("user-agent", ""))
                                .build())
                        .build())
                .build();
    }

    /** API Gateway's decoding of a query string: repeated names joined with commas. */
    private static Map<String, String> queryParameters(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.merge(name, value, (a, b) -> a + "," + b);
        }
        return params;
    }

    private static void send(HttpExchange exchange, APIGatewayV2HTTPResponse response) throws IOException {
        String body = response.getBody() == null ? "" : response.getBody();
        byte[] bytes = response.getIsBase64Encoded()
                ? Base64.getDecoder().decode(body)
                : body.getBytes(StandardCharsets.UTF_8);
        send(
                exchange,
                response.getStatusCode(),
                response.getHeaders() == null ? Map.of() : response.getHeaders(),
                bytes);
    }

    private static void send(HttpExchange exchange, int status, Map<String, String> headers, byte[] body)
            throws IOException {
        headers.forEach((k, v) -> exchange.getResponseHeaders().put(k, List.of(v)));
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
