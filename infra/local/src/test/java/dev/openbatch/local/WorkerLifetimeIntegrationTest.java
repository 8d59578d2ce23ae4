package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import dev.openbatch.reference.Options;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Workers whose invocations run out of time mid-chunk, through the whole local runtime: each stops
 * at a checkpoint, the chunk goes on in a fresh message, and the batch completes with every line
 * sent once — however many invocations it takes, past the queue's receive limit too.
 */
class WorkerLifetimeIntegrationTest {

    private static final String CHAT = "/v1/chat/completions";
    private static final int LINES = 30;

    private static final LocalRuntimes runtimes = new LocalRuntimes();
    private static final AtomicReference<LocalRuntime> runtime = new AtomicReference<>();
    /** How many requests each invocation may send before its time is up. */
    private static final AtomicInteger budget = new AtomicInteger();
    /** Each invocation of the worker: the receive count of the message it was given. */
    private static final List<String> invocations = new CopyOnWriteArrayList<>();

    @AfterAll
    static void stop() {
        runtimes.close();
    }

    /**
     * The worker, each invocation given a context whose time lasts until the reference endpoint has seen
     * {@link #budget} more requests, then leaves time for the lines in flight to end and the checkpoint to
     * be written, but none to start another: a deadline counted in requests, not in the machine's speed.
     */
    private static LocalRuntime start() {
        UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> shortLived = worker -> (event, context) -> {
            invocations.add(event.getRecords().getFirst().getAttributes().get("ApproximateReceiveCount"));
            long until = runtime.get().referenceStats().requests() + budget.get();
            return worker.handleRequest(
                    event,
                    new Lifetime(context, () -> runtime.get().referenceStats().requests() < until ? 60_000 : 15_000));
        };
        LocalRuntime started = runtimes.start(
                LocalRuntimes.options(
                        Options.builder().latency(Duration.ofMillis(5)).build(), 2, LINES, 1, Duration.ofHours(24), 1),
                new LocalRuntime.Interceptors(f -> f, f -> f, shortLived));
        runtime.set(started);
        return started;
    }

    private static synchronized LocalRuntime runtime() {
        return runtime.get() != null ? runtime.get() : start();
    }

    private static Batch run(int requestsPerInvocation) {
        LocalRuntime local = runtime();
        budget.set(requestsPerInvocation);
        invocations.clear();
        long before = local.referenceStats().requests();
        OpenAIClient client = LocalRuntimes.client(local);
        Batch batch = AwaitBatch.ended(
                client,
                SdkBatches.submit(
                        client,
                        CHAT,
                        LINES,
                        i -> "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"line " + i + "\"}]}"),
                Duration.ofMinutes(2));
        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        Map<String, JsonNode> endings = SdkBatches.endings(client, batch, LINES);
        assertThat(endings.values())
                .allSatisfy(line -> assertThat(line.get("error").isNull()).isTrue());
        assertThat(local.referenceStats().requests() - before)
                .as("no line sent twice")
                .isEqualTo(LINES);
        return batch;
    }

    @Test
    void aChunkNeedingThreeInvocations_finishesInThree_withEveryLineOnce_andNoLineSentTwice() {
        // 10 requests an invocation, and up to 3 more already past the check: three invocations whichever.
        run(10);

        assertThat(invocations).hasSize(3);
    }

    @Test
    void aChunkNeedingMoreInvocationsThanTheQueuesReceiveLimit_stillCompletes_neverChunkFailed() {
        run(2);

        assertThat(invocations).hasSizeGreaterThan(LocalRuntime.MAX_RECEIVES);
        assertThat(invocations)
                .as("each invocation a fresh message, first received")
                .containsOnly("1");
    }

    /** A Lambda context whose remaining time is told by {@code remainingMillis}, the rest as the runtime's. */
    private record Lifetime(Context context, IntSupplier remainingMillis) implements Context {

        @Override
        public int getRemainingTimeInMillis() {
            return remainingMillis.getAsInt();
        }

        @Override
        public String getAwsRequestId() {
            return context.getAwsRequestId();
        }

        @Override
        public String getLogGroupName() {
            return context.getLogGroupName();
        }

        @Override
        public String getLogStreamName() {
            return context.getLogStreamName();
        }

        @Override
        public String getFunctionName() {
            return context.getFunctionName();
        }

        @Override
        public String getFunctionVersion() {
            return context.getFunctionVersion();
        }

        @Override
        public String getInvokedFunctionArn() {
            return context.getInvokedFunctionArn();
        }

        @Override
        public CognitoIdentity getIdentity() {
            return context.getIdentity();
        }

        @Override
        public ClientContext getClientContext() {
            return context.getClientContext();
        }

        @Override
        public int getMemoryLimitInMB() {
            return context.getMemoryLimitInMB();
        }

        @Override
        public LambdaLogger getLogger() {
            return context.getLogger();
        }
    }
}
