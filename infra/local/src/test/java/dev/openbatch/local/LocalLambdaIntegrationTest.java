package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.openbatch.local.lambda.FunctionError;
import dev.openbatch.local.lambda.LocalLambda;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Lambda's edges through the real SDK clients and the embedded emulators: an invocation abandoned
 * at its timeout writes nothing afterwards and its SQS batch comes back after its visibility
 * timeout; a standard queue's duplicate runs alongside the first run, in another sandbox.
 */
class LocalLambdaIntegrationTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    /** One run of a message: which handler (so which sandbox) ran it, and the message's receive count then. */
    private record Run(Object handler, String messageId, int receiveCount, long atNanos) {}

    private static void awaitIgnoringInterrupts(CountDownLatch latch) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (latch.await(100, TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                // as code that swallows interrupts would: it goes on, its sandbox discarded
            }
        }
        throw new AssertionError("latch not reached within " + DEADLINE);
    }

    private static boolean exists(S3Client s3, String bucket, String key) {
        try {
            s3.headObject(b -> b.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    @Test
    void anInvocationAbandonedAtItsTimeout_hasItsLaterS3WriteRefused_whileALiveSandboxWrites() throws Exception {
        String bucket = "sandbox-" + UUID.randomUUID();
        S3Client s3 = Emulators.clients().s3();
        s3.createBucket(b -> b.bucket(bucket));
        CountDownLatch callerTimedOut = new CountDownLatch(1);
        CompletableFuture<Throwable> lateWrite = new CompletableFuture<>();
        // Each sandbox builds its own client, as each function's Wiring does.
        try (LocalLambda<S3Client> function = new LocalLambda<>(
                "writer",
                Duration.ofSeconds(1),
                1,
                sandbox -> Emulators.clients().s3())) {
            function.invoke((client, context) ->
                    client.putObject(b -> b.bucket(bucket).key("live"), RequestBody.fromString("in time")));

            assertThatThrownBy(() -> function.invoke((client, context) -> {
                        awaitIgnoringInterrupts(callerTimedOut);
                        try {
                            client.putObject(
                                    b -> b.bucket(bucket).key("late"), RequestBody.fromString("after the timeout"));
                            lateWrite.complete(null);
                        } catch (Throwable e) {
                            lateWrite.complete(e);
                        }
                        return null;
                    }))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.errorType()).isEqualTo("Sandbox.Timedout"));
            callerTimedOut.countDown();

            assertThat(lateWrite.get(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                    .isInstanceOf(SdkClientException.class)
                    .hasMessageContaining("discarded");
            assertThat(exists(s3, bucket, "late")).isFalse();
            assertThat(exists(s3, bucket, "live")).isTrue();
            function.invoke((client, context) ->
                    client.putObject(b -> b.bucket(bucket).key("next"), RequestBody.fromString("a new sandbox")));
            assertThat(exists(s3, bucket, "next")).as("the next sandbox writes").isTrue();
        } finally {
            s3.close();
        }
    }

    private static String queue(SqsClient sqs, int visibilitySeconds) {
        return sqs.createQueue(b -> b.queueName("sandbox-" + UUID.randomUUID())
                        .attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(visibilitySeconds))))
                .queueUrl();
    }

    private static String arn(SqsClient sqs, String url) {
        return sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes()
                .get(QueueAttributeName.QUEUE_ARN);
    }

    private static int messagesLeft(SqsClient sqs, String url) {
        Map<QueueAttributeName, String> attributes = sqs.getQueueAttributes(b -> b.queueUrl(url)
                        .attributeNames(
                                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE))
                .attributes();
        return Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                + Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
    }

    private static Run run(Object handler, SQSEvent event) {
        SQSEvent.SQSMessage message = event.getRecords().getFirst();
        return new Run(
                handler,
                message.getMessageId(),
                Integer.parseInt(message.getAttributes().get("ApproximateReceiveCount")),
                System.nanoTime());
    }

    @Test
    void aWorkerBatchAbandonedAtItsTimeout_isNotDeleted_comesBackAfterItsVisibilityTimeout_andRunsAgain() {
        int visibilitySeconds = 3;
        List<Run> runs = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch released = new CountDownLatch(1);
        try (SqsClient sqs = Emulators.sqs()) {
            String url = queue(sqs, visibilitySeconds);
            LocalLambda<RequestHandler<SQSEvent, SQSBatchResponse>> worker =
                    new LocalLambda<>("worker", Duration.ofSeconds(1), 1, sandbox -> new RequestHandler<>() {
                        @Override
                        public SQSBatchResponse handleRequest(
                                SQSEvent event, com.amazonaws.services.lambda.runtime.Context context) {
                            runs.add(run(this, event));
                            if (runs.size() == 1) {
                                // Outlives the timeout, then claims success: an answer that must not count.
                                awaitIgnoringInterrupts(released);
                            }
                            return new SQSBatchResponse(List.of());
                        }
                    });
            // Polls from here until closed; the try closes it before the sandboxes it runs in.
            SqsEventSource source = new SqsEventSource(sqs, url, arn(sqs, url), 1, 1, 1, false, worker);
            try (worker;
                    source) {
                sqs.sendMessage(b -> b.queueUrl(url).messageBody("{\"chunk\":1}"));

                Poll.until(DEADLINE, "a second run", () -> runs.size() >= 2);
                released.countDown();
                Poll.until(DEADLINE, "the message deleted after its second run", () -> messagesLeft(sqs, url) == 0);

                assertThat(runs).hasSize(2);
                assertThat(runs.get(1).messageId()).isEqualTo(runs.get(0).messageId());
                assertThat(runs.get(1).receiveCount()).isEqualTo(2);
                // ElasticMQ keeps visibility to about a second's precision; the timeout alone was 1 s.
                assertThat(Duration.ofNanos(runs.get(1).atNanos() - runs.get(0).atNanos()))
                        .as("back only after its visibility timeout")
                        .isGreaterThan(Duration.ofSeconds(visibilitySeconds - 1));
                assertThat(runs.get(1).handler())
                        .as("run again in a new sandbox")
                        .isNotSameAs(runs.get(0).handler());
            }
        }
    }

    @Test
    void duplicateDeliveryWhileRunning_runsAFirstReceiveInASecondSandbox_alongsideTheFirstRun_thenDeletesIt() {
        List<Run> runs = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch bothRunning = new CountDownLatch(2);
        AtomicInteger overlapping = new AtomicInteger();
        try (SqsClient sqs = Emulators.sqs()) {
            String url = queue(sqs, 30);
            LocalLambda<RequestHandler<SQSEvent, SQSBatchResponse>> worker =
                    new LocalLambda<>("worker", Duration.ofSeconds(30), 2, sandbox -> new RequestHandler<>() {
                        @Override
                        public SQSBatchResponse handleRequest(
                                SQSEvent event, com.amazonaws.services.lambda.runtime.Context context) {
                            runs.add(run(this, event));
                            bothRunning.countDown();
                            try {
                                if (bothRunning.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                                    overlapping.incrementAndGet();
                                }
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            return new SQSBatchResponse(List.of());
                        }
                    });
            // Polls from here until closed; the try closes it before the sandboxes it runs in.
            SqsEventSource source = new SqsEventSource(sqs, url, arn(sqs, url), 1, 2, 1, true, worker);
            try (worker;
                    source) {
                sqs.sendMessage(b -> b.queueUrl(url).messageBody("{\"chunk\":1}"));

                Poll.until(DEADLINE, "the message deleted", () -> runs.size() == 2 && messagesLeft(sqs, url) == 0);

                assertThat(overlapping).as("both runs were going at once").hasValue(2);
                assertThat(runs.get(1).messageId()).isEqualTo(runs.get(0).messageId());
                assertThat(runs.get(1).receiveCount())
                        .as("one receive, delivered twice")
                        .isEqualTo(1);
                assertThat(runs.get(1).handler())
                        .as("in two sandboxes")
                        .isNotSameAs(runs.get(0).handler());
                assertThat(worker.sandboxesCreated()).isEqualTo(2);
            }
            assertThat(runs).as("no third run").hasSize(2);
        }
    }
}
