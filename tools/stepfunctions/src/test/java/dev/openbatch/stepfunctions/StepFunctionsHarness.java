package dev.openbatch.stepfunctions;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Local Step Functions behind its server, the real {@code SfnClient} pointed at it, and a real
 * ElasticMQ (one per JVM) for the SQS callback tasks. Public, in this module's test jar, for the
 * local runtime's tests of the batch definition and of Lambda tasks on its own sandboxes.
 */
public final class StepFunctionsHarness implements AutoCloseable {

    static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));

    private static SqsClient sqs;

    final LocalStepFunctions stepFunctions;
    final StepFunctionsServer server;
    public final SfnClient sfn;

    public StepFunctionsHarness(Map<String, Function<JsonNode, JsonNode>> functions) {
        this(new LocalStepFunctions("us-east-1", functions, sqs()));
    }

    /** Callback tasks sending through {@code sqs}, e.g. one that fails some sends as SQS may. */
    public StepFunctionsHarness(Map<String, Function<JsonNode, JsonNode>> functions, SqsClient sqs) {
        this(new LocalStepFunctions("us-east-1", functions, sqs));
    }

    /** Keeping executions in {@code executions}, as the local runtime does in its data directory. */
    public StepFunctionsHarness(Map<String, Function<JsonNode, JsonNode>> functions, Path executions) {
        this(new LocalStepFunctions("us-east-1", functions, sqs(), executions));
    }

    private StepFunctionsHarness(LocalStepFunctions stepFunctions) {
        this.stepFunctions = stepFunctions;
        server = StepFunctionsServer.start(stepFunctions, "127.0.0.1", 0);
        sfn = SfnClient.builder()
                .endpointOverride(server.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    public static synchronized SqsClient sqs() {
        if (sqs == null) {
            SQSRestServer elasticMq = SQSRestServerBuilder.withInterface("127.0.0.1")
                    .withDynamicPort()
                    .start();
            int port = elasticMq.waitUntilStarted().localAddress().getPort();
            Runtime.getRuntime().addShutdownHook(new Thread(elasticMq::stopAndWait));
            sqs = SqsClient.builder()
                    .endpointOverride(URI.create("http://127.0.0.1:" + port))
                    .region(Region.US_EAST_1)
                    .credentialsProvider(CREDENTIALS)
                    .httpClientBuilder(UrlConnectionHttpClient.builder())
                    .build();
        }
        return sqs;
    }

    public String newQueue() {
        return sqs().createQueue(b -> b.queueName("chunks-" + UUID.randomUUID()))
                .queueUrl();
    }

    public String register(String definition) {
        return register(definition, Map.of());
    }

    public String register(String definition, Map<String, String> substitutions) {
        return stepFunctions.register("machine-" + UUID.randomUUID(), definition, substitutions);
    }

    public String register(String name, String definition, Map<String, String> substitutions) {
        return stepFunctions.register(name, definition, substitutions);
    }

    public String start(String stateMachineArn, String input) {
        return sfn.startExecution(b -> b.stateMachineArn(stateMachineArn).input(input))
                .executionArn();
    }

    /** Polls DescribeExecution until the execution has ended, or fails at the deadline. */
    public DescribeExecutionResponse awaitEnd(String executionArn) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            DescribeExecutionResponse execution = sfn.describeExecution(b -> b.executionArn(executionArn));
            if (execution.status() != ExecutionStatus.RUNNING) {
                return execution;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still RUNNING after " + DEADLINE + ": " + executionArn);
            }
            pause();
        }
    }

    /** Every event of the execution's history, oldest first, through GetExecutionHistory's pages. */
    public List<HistoryEvent> history(String executionArn) {
        return sfn
                .getExecutionHistoryPaginator(b -> b.executionArn(executionArn).maxResults(1000))
                .events()
                .stream()
                .toList();
    }

    /** The types of the execution's history events, oldest first. */
    public List<String> historyTypes(String executionArn) {
        return history(executionArn).stream().map(HistoryEvent::typeAsString).toList();
    }

    /** Receives and deletes {@code count} messages from the queue, handing each body and its number on; fails at the deadline. */
    public static void consume(String queueUrl, int count, BiConsumer<String, Integer> handler) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        int received = 0;
        while (received < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("received " + received + " of " + count + " messages before the deadline");
            }
            List<Message> messages = sqs().receiveMessage(
                            b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(1))
                    .messages();
            for (Message message : messages) {
                handler.accept(message.body(), received++);
                sqs().deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(message.receiptHandle()));
            }
        }
    }

    /** Receives one message and answers nothing, for tests of what happens without an answer. */
    public static JsonNode receiveOne(String queueUrl) {
        String[] body = new String[1];
        consume(queueUrl, 1, (message, index) -> body[0] = message);
        return json(body[0]);
    }

    public static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    public static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        sfn.close();
        server.close();
        stepFunctions.close();
    }
}
