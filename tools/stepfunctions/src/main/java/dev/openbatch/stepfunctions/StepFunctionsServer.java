package dev.openbatch.stepfunctions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.openbatch.core.Json;
import dev.openbatch.stepfunctions.LocalStepFunctions.ExecutionDescription;
import dev.openbatch.stepfunctions.LocalStepFunctions.HistoryEvent;
import dev.openbatch.stepfunctions.LocalStepFunctions.HistoryPage;
import dev.openbatch.stepfunctions.LocalStepFunctions.StartedExecution;
import dev.openbatch.stepfunctions.LocalStepFunctions.StateMachineDescription;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;

/**
 * {@link LocalStepFunctions} over the Step Functions wire protocol, AWS JSON 1.0: {@code POST /}
 * with {@code X-Amz-Target: AWSStepFunctions.<Operation>}, so the real {@code SfnClient} with an
 * endpoint override talks to it. Serves StartExecution, DescribeExecution, GetExecutionHistory, StopExecution,
 * SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat, CreateStateMachine (STANDARD, no
 * substitutions) and DescribeStateMachine. Errors are HTTP 400 with {@code {"__type","message"}};
 * dates are epoch seconds with a fraction, as the protocol has them.
 */
public final class StepFunctionsServer implements AutoCloseable {

    private static final String TARGET_PREFIX = "AWSStepFunctions.";
    private static final String CONTENT_TYPE = "application/x-amz-json-1.0";
    /** Step Functions never assumes this role locally; DescribeStateMachine must still name one. */
    private static final String ROLE_ARN = "arn:aws:iam::" + LocalStepFunctions.ACCOUNT + ":role/local-stepfunctions";

    private final HttpServer server;
    private final LocalStepFunctions stepFunctions;

    private StepFunctionsServer(HttpServer server, LocalStepFunctions stepFunctions) {
        this.server = server;
        this.stepFunctions = stepFunctions;
    }

    /** Listens on {@code host:port} (0 picks a free port) and serves until closed. */
    public static StepFunctionsServer start(LocalStepFunctions stepFunctions, String host, int port) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port, e);
        }
        StepFunctionsServer stepFunctionsServer = new StepFunctionsServer(server, stepFunctions);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", stepFunctionsServer::handle);
        server.start();
        return stepFunctionsServer;
    }

    /** The URI for {@code SfnClient.builder().endpointOverride(...)}. */
    public URI endpoint() {
        InetSocketAddress address = server.getAddress();
        return URI.create("http://" + address.getHostString() + ":" + address.getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            int status = 200;
            JsonNode response;
            try {
                response = dispatch(exchange);
            } catch (StepFunctionsException e) {
                status = 400;
                response = error(e.errorCode(), e.getMessage());
            } catch (RuntimeException e) {
                status = 500;
                response = error("InternalFailure", e.toString());
            }
            byte[] body = Json.write(response);
            exchange.getResponseHeaders().put("Content-Type", List.of(CONTENT_TYPE));
            exchange.getResponseHeaders()
                    .put("x-amzn-RequestId", List.of(UUID.randomUUID().toString()));
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private JsonNode dispatch(HttpExchange exchange) throws IOException {
        String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
        if (!"POST".equals(exchange.getRequestMethod()) || target == null || !target.startsWith(TARGET_PREFIX)) {
            throw new StepFunctionsException(
                    "UnknownOperationException", "expected POST / with X-Amz-Target: " + TARGET_PREFIX + "<Operation>");
        }
        JsonNode request;
        try {
            byte[] body = exchange.getRequestBody().readAllBytes();
            request = body.length == 0 ? JsonNodeFactory.instance.objectNode() : Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new StepFunctionsException(
                    "SerializationException", "the request body is not JSON: " + e.getOriginalMessage());
        }
        String operation = target.substring(TARGET_PREFIX.length());
        return switch (operation) {
            case "StartExecution" ->
                started(stepFunctions.startExecution(
                        required(request, "stateMachineArn"), text(request, "name"), text(request, "input")));
            case "DescribeExecution" -> described(stepFunctions.describeExecution(required(request, "executionArn")));
            case "GetExecutionHistory" ->
                history(stepFunctions.executionHistory(
                        required(request, "executionArn"),
                        request.path("maxResults").asInt(0),
                        text(request, "nextToken"),
                        request.path("reverseOrder").asBoolean(false)));
            case "StopExecution" ->
                object(Map.of(
                        "stopDate",
                        epochSeconds(stepFunctions.stopExecution(
                                required(request, "executionArn"), text(request, "error"), text(request, "cause")))));
            case "SendTaskSuccess" -> {
                stepFunctions.sendTaskSuccess(required(request, "taskToken"), required(request, "output"));
                yield JsonNodeFactory.instance.objectNode();
            }
            case "SendTaskFailure" -> {
                stepFunctions.sendTaskFailure(
                        required(request, "taskToken"), text(request, "error"), text(request, "cause"));
                yield JsonNodeFactory.instance.objectNode();
            }
            case "SendTaskHeartbeat" -> {
                stepFunctions.sendTaskHeartbeat(required(request, "taskToken"));
                yield JsonNodeFactory.instance.objectNode();
            }
            case "CreateStateMachine" -> created(request);
            case "DescribeStateMachine" ->
                described(stepFunctions.describeStateMachine(required(request, "stateMachineArn")));
            default ->
                throw new StepFunctionsException(
                        "UnknownOperationException", "local Step Functions does not serve " + operation);
        };
    }

    private JsonNode created(JsonNode request) {
        String type = text(request, "type");
        if (type != null && !type.equals("STANDARD")) {
            throw new StepFunctionsException(
                    "ValidationException", "local Step Functions runs STANDARD state machines only");
        }
        String arn = stepFunctions.register(required(request, "name"), required(request, "definition"), Map.of());
        return object(Map.of(
                "stateMachineArn",
                arn,
                "creationDate",
                epochSeconds(stepFunctions.describeStateMachine(arn).creationDate())));
    }

    private static JsonNode started(StartedExecution started) {
        return object(Map.of("executionArn", started.executionArn(), "startDate", epochSeconds(started.startDate())));
    }

    private static JsonNode described(ExecutionDescription execution) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("executionArn", execution.executionArn());
        node.put("stateMachineArn", execution.stateMachineArn());
        node.put("name", execution.name());
        node.put("status", execution.status().name());
        node.put("startDate", epochSeconds(execution.startDate()));
        if (execution.stopDate() != null) {
            node.put("stopDate", epochSeconds(execution.stopDate()));
        }
        node.put("input", execution.input());
        node.putObject("inputDetails").put("included", true);
        if (execution.output() != null) {
            node.put("output", execution.output());
            node.putObject("outputDetails").put("included", true);
        }
        if (execution.error() != null) {
            node.put("error", execution.error());
        }
        if (execution.cause() != null) {
            node.put("cause", execution.cause());
        }
        return node;
    }

    private static JsonNode history(HistoryPage page) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        ArrayNode events = node.putArray("events");
        for (HistoryEvent event : page.events()) {
            ObjectNode each = events.addObject();
            each.put("timestamp", epochSeconds(event.timestamp()));
            each.put("type", event.type());
            each.put("id", event.id());
            each.put("previousEventId", event.previousEventId());
            if (event.details() != null) {
                each.set(event.detailsField(), event.details());
            }
        }
        if (page.nextToken() != null) {
            node.put("nextToken", page.nextToken());
        }
        return node;
    }

    private static JsonNode described(StateMachineDescription stateMachine) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("stateMachineArn", stateMachine.stateMachineArn());
        node.put("name", stateMachine.name());
        node.put("status", "ACTIVE");
        node.put("definition", stateMachine.definition());
        node.put("roleArn", ROLE_ARN);
        node.put("type", "STANDARD");
        node.put("creationDate", epochSeconds(stateMachine.creationDate()));
        return node;
    }

    private static JsonNode object(Map<String, Object> fields) {
        return Json.MAPPER.valueToTree(fields);
    }

    private static JsonNode error(String code, String message) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("__type", code);
        node.put("message", message);
        return node;
    }

    private static BigDecimal epochSeconds(Instant instant) {
        return BigDecimal.valueOf(instant.toEpochMilli(), 3);
    }

    private static String text(JsonNode request, String field) {
        JsonNode value = request.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static String required(JsonNode request, String field) {
        String value = text(request, field);
        if (value == null) {
            throw new StepFunctionsException(
                    "ValidationException",
                    "1 validation error detected: Value null at '" + field
                            + "' failed to satisfy constraint: Member must not be null");
        }
        return value;
    }
}
