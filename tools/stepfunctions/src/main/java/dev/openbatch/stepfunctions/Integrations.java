package dev.openbatch.stepfunctions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.Json;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SqsException;

/**
 * The two task resources of the subset: {@code lambda:invoke} against in-process functions, and
 * {@code sqs:sendMessage.waitForTaskToken} through a real SQS client, with the task tokens the
 * callbacks answer.
 */
final class Integrations {

    /** What a callback task waits on; closed (completed in any way) once the task stops waiting. */
    private static final class Callback {
        final CompletableFuture<JsonNode> result = new CompletableFuture<>();
        volatile long lastHeartbeatNanos = System.nanoTime();
    }

    /** What a callback task does once its message is sent and before it waits: Step Functions writes TaskSubmitted. */
    @FunctionalInterface
    interface Submitted {
        void sent() throws StateFailure;
    }

    private static final CancellationException CLOSED = new CancellationException("the task no longer waits");

    /** What Step Functions calls an SQS call that never got an answer: a network error, a timeout. */
    static final String SQS_CLIENT_ERROR = "SQS.SdkClientException";
    /** What it calls an error SQS answered that the SQS model does not name: throttling, a 5xx, a denial. */
    static final String SQS_SERVICE_ERROR = "SQS.AmazonSQSException";

    private final Map<String, Function<JsonNode, JsonNode>> functions;
    private final SqsClient sqs;
    // Closed callbacks stay, so a late answer gets TaskTimedOut as in the cloud rather than InvalidToken.
    private final ConcurrentMap<String, Callback> callbacks = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    Integrations(Map<String, Function<JsonNode, JsonNode>> functions, SqsClient sqs) {
        this.functions = Map.copyOf(functions);
        this.sqs = sqs;
    }

    boolean hasFunction(String name) {
        return functions.containsKey(name);
    }

    /**
     * Calls the function named by {@code FunctionName} with {@code Payload} ({@code {}} when absent)
     * and answers as Lambda's Invoke does. A thrown exception fails the task with the exception's
     * fully qualified class name as the error, as the Java Lambda runtime reports it in
     * {@code errorType}, so a Catch written for the cloud matches locally too; an error Lambda
     * itself reports ({@link LambdaError}: {@code Sandbox.Timedout}, ...) goes by its own name.
     */
    JsonNode invokeLambda(JsonNode parameters, int timeoutSeconds) throws StateFailure, InterruptedException {
        JsonNode functionName = parameters.get("FunctionName");
        if (functionName == null || !functionName.isTextual()) {
            throw StateFailure.runtime("FunctionName must be a string, not " + functionName);
        }
        Function<JsonNode, JsonNode> function = functions.get(functionName.asText());
        if (function == null) {
            throw StateFailure.of("Lambda.ResourceNotFoundException", "Function not found: " + functionName.asText());
        }
        JsonNode payload =
                parameters.has("Payload") ? parameters.get("Payload") : JsonNodeFactory.instance.objectNode();
        CompletableFuture<JsonNode> output = new CompletableFuture<>();
        // Its own thread, so a stop or a timeout does not wait for a function that ignores interrupts.
        Thread call = Thread.ofVirtual().name("lambda-" + functionName.asText()).start(() -> {
            try {
                output.complete(function.apply(payload.deepCopy()));
            } catch (Throwable e) {
                output.completeExceptionally(e);
            }
        });
        try {
            JsonNode result = timeoutSeconds > 0 ? output.get(timeoutSeconds, TimeUnit.SECONDS) : output.get();
            ObjectNode response = JsonNodeFactory.instance.objectNode();
            response.put("ExecutedVersion", "$LATEST");
            response.set("Payload", result == null ? JsonNodeFactory.instance.nullNode() : result.deepCopy());
            response.put("StatusCode", 200);
            return response;
        } catch (ExecutionException e) {
            Throwable error = e.getCause();
            if (error instanceof TaskError refused) {
                throw StateFailure.of(refused.error(), refused.getMessage());
            }
            // Lambda's own errors (a timeout, an answer too large) carry the errorType Lambda reports.
            String errorType = error instanceof LambdaError lambda
                    ? lambda.errorType()
                    : error.getClass().getName();
            ObjectNode cause = JsonNodeFactory.instance.objectNode();
            if (error.getMessage() != null) {
                cause.put("errorMessage", error.getMessage());
            }
            cause.put("errorType", errorType);
            throw StateFailure.of(errorType, Json.writeString(cause));
        } catch (TimeoutException e) {
            throw StateFailure.of(
                    StateFailure.TIMEOUT, "The task did not finish within " + timeoutSeconds + " seconds");
        } finally {
            call.interrupt();
        }
    }

    /**
     * The task token for {@code $$.Task.Token}: {@code resumed}, the token the task waited on when
     * the previous process stopped, if this process has not issued it yet (so an answer sent with it
     * still counts), else a new opaque one.
     */
    String token(String resumed) {
        if (resumed != null && callbacks.putIfAbsent(resumed, new Callback()) == null) {
            return resumed;
        }
        byte[] bytes = new byte[48];
        random.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        callbacks.put(token, new Callback());
        return token;
    }

    /**
     * Sends {@code MessageBody} (a string as is, anything else as JSON) to {@code QueueUrl}, then
     * waits for SendTaskSuccess or SendTaskFailure with {@code token}, failing the task with
     * States.HeartbeatTimeout or States.Timeout when the definition's seconds pass first.
     */
    JsonNode sendAndWait(
            String token, JsonNode parameters, int timeoutSeconds, int heartbeatSeconds, Submitted submitted)
            throws StateFailure, InterruptedException {
        Callback callback = callbacks.get(token);
        long start = System.nanoTime();
        try {
            send(parameters);
            submitted.sent();
            while (true) {
                long now = System.nanoTime();
                long timeoutAt = timeoutSeconds > 0 ? start + TimeUnit.SECONDS.toNanos(timeoutSeconds) : Long.MAX_VALUE;
                long heartbeatAt = heartbeatSeconds > 0
                        ? callback.lastHeartbeatNanos + TimeUnit.SECONDS.toNanos(heartbeatSeconds)
                        : Long.MAX_VALUE;
                if (now - timeoutAt >= 0) {
                    throw StateFailure.of(
                            StateFailure.TIMEOUT, "No answer for the task token within " + timeoutSeconds + " seconds");
                }
                if (now - heartbeatAt >= 0) {
                    throw StateFailure.of(
                            StateFailure.HEARTBEAT_TIMEOUT,
                            "No heartbeat for the task token within " + heartbeatSeconds + " seconds");
                }
                long wait = Math.min(timeoutAt, heartbeatAt);
                try {
                    return wait == Long.MAX_VALUE
                            ? callback.result.get()
                            : callback.result.get(wait - now, TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    // a deadline passed, or a heartbeat moved it: look again
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof StateFailure failure) {
                        throw failure;
                    }
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            callback.result.completeExceptionally(CLOSED);
        }
    }

    private void send(JsonNode parameters) throws StateFailure {
        JsonNode queueUrl = parameters.get("QueueUrl");
        if (queueUrl == null || !queueUrl.isTextual()) {
            throw StateFailure.runtime("QueueUrl must be a string, not " + queueUrl);
        }
        JsonNode body = parameters.get("MessageBody");
        String text = body.isTextual() ? body.asText() : Json.writeString(body);
        try {
            sqs.sendMessage(request -> request.queueUrl(queueUrl.asText()).messageBody(text));
        } catch (AwsServiceException e) {
            throw StateFailure.of(sqsErrorName(e), sqsCause(e));
        } catch (SdkException e) {
            throw StateFailure.of(SQS_CLIENT_ERROR, e.getMessage());
        }
    }

    /**
     * The error name Step Functions gives a failed SQS call: {@code SQS.} and the SDK's exception for
     * an error the SQS model names ({@code SQS.QueueDoesNotExistException},
     * {@code SQS.RequestThrottledException}, ...), {@link #SQS_SERVICE_ERROR} for any other answer.
     * The service names them after its Java SDK's classes, whose modelled ones the v2 SDK shares.
     */
    static String sqsErrorName(AwsServiceException e) {
        boolean modelled = e instanceof SqsException && e.getClass() != SqsException.class;
        return modelled ? "SQS." + e.getClass().getSimpleName() : SQS_SERVICE_ERROR;
    }

    /** The cause as the service's Java SDK words a service error. */
    private static String sqsCause(AwsServiceException e) {
        AwsErrorDetails details = e.awsErrorDetails();
        String message = details == null || details.errorMessage() == null ? e.getMessage() : details.errorMessage();
        return message + " (Service: AmazonSQS; Status Code: " + e.statusCode() + "; Error Code: "
                + (details == null ? null : details.errorCode()) + "; Request ID: " + e.requestId() + ")";
    }

    void succeed(String token, JsonNode output) {
        if (!open(token).result.complete(output)) {
            throw taskTimedOut();
        }
    }

    void fail(String token, String error, String cause) {
        if (!open(token).result.completeExceptionally(StateFailure.of(error, cause))) {
            throw taskTimedOut();
        }
    }

    void heartbeat(String token) {
        open(token).lastHeartbeatNanos = System.nanoTime();
    }

    private Callback open(String token) {
        Callback callback = token == null ? null : callbacks.get(token);
        if (callback == null) {
            throw new StepFunctionsException("InvalidToken", "Invalid Token: '" + token + "'");
        }
        if (callback.result.isDone()) {
            throw taskTimedOut();
        }
        return callback;
    }

    private static StepFunctionsException taskTimedOut() {
        return new StepFunctionsException("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
    }
}
