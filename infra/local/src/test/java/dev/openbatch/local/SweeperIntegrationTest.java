package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import dev.openbatch.aws.AwsClients;
import dev.openbatch.aws.DynamoDbBatchRepository;
import dev.openbatch.aws.Settings;
import dev.openbatch.aws.StepFunctionsLauncher;
import dev.openbatch.aws.SweeperHandler;
import dev.openbatch.aws.Wiring;
import dev.openbatch.core.Ids;
import dev.openbatch.core.Json;
import dev.openbatch.core.pipeline.Sweep;
import dev.openbatch.reference.Options;
import dev.openbatch.stepfunctions.LocalStepFunctions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

/**
 * Nothing hangs, through the whole local runtime and its scheduled sweeper: a batch whose start was
 * lost is started, a cancelled batch whose run ended is finalized, a chunk message that was lost is
 * sent again, an {@code unlimited} batch that keeps stalling ends expired at its bound — every custom
 * id once each time — and two sweepers at once act once.
 */
class SweeperIntegrationTest {

    private static final String CHAT = "/v1/chat/completions";
    private static final int LINES = 20;
    private static final int CHUNK_LINES = 5;
    private static final Sweep.Bounds BOUNDS = new Sweep.Bounds(Duration.ofSeconds(1), Duration.ofSeconds(5), 5);
    private static final String STATE_MACHINE_ARN =
            "arn:aws:states:us-east-1:" + LocalStepFunctions.ACCOUNT + ":stateMachine:" + LocalRuntime.STATE_MACHINE;

    /** How many deliveries of a chunk 0 the workers lose from now on: acknowledged, never run, never answered. */
    private static final AtomicInteger chunk0MessagesToLose = new AtomicInteger();
    /**
     * Only chunks of batches created after this one (ids sort by creation time) are lost, so that an
     * earlier test's batch cannot take a later test's losses.
     */
    private static volatile String losesFrom = "batch_";
    /** While set, every worker waits on it before running its chunk. */
    private static volatile CountDownLatch workersHeld;

    private static final LocalRuntimes runtimes = new LocalRuntimes();
    // A Map of 10 runs the batch's four chunks at once, each of CHUNK_LINES lines, as the tests name them.
    private static final LocalRuntime runtime = runtimes.start(
            LocalRuntimes.options(Options.defaults(), 4, CHUNK_LINES, 10, 2, Duration.ofHours(24), 1)
                    .withSweeper(new LocalRuntime.Sweeper(Duration.ofMillis(250), BOUNDS)),
            new LocalRuntime.Interceptors(f -> f, f -> f, losesOrHolds()));
    private static final OpenAIClient client = LocalRuntimes.client(runtime);
    private static final AwsClients aws = new AwsClients(settings(runtime));
    private static final SfnClient sfn = aws.sfn();
    private static final DynamoDbClient dynamo = aws.dynamoDb();

    @AfterAll
    static void stop() {
        sfn.close();
        dynamo.close();
        runtimes.close();
    }

    private static UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> losesOrHolds() {
        return worker -> (event, context) -> {
            CountDownLatch held = workersHeld;
            if (held != null) {
                try {
                    held.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            JsonNode message = json(event.getRecords().getFirst().getBody());
            if (message.at("/chunk/index").asInt() == 0
                    && message.get("batch_id").asText().compareTo(losesFrom) > 0
                    && chunk0MessagesToLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                return new SQSBatchResponse(List.of());
            }
            return worker.handleRequest(event, context);
        };
    }

    /** The settings the runtime's functions have, for clients and sweepers of the test's own. */
    static Settings settings(LocalRuntime runtime) {
        String jobs = "{\"default_job\":\"" + LocalRuntime.DEFAULT_JOB + "\",\"jobs\":[{\"id\":\""
                + LocalRuntime.DEFAULT_JOB + "\",\"base_url\":\"" + runtime.inferenceEndpoint() + "\"}]}";
        return Settings.builder()
                .region("us-east-1")
                .bucket(LocalRuntime.BUCKET)
                .filesTable(LocalRuntime.FILES_TABLE)
                .batchesTable(LocalRuntime.BATCHES_TABLE)
                .jobsJson(jobs)
                .stateMachineArn(STATE_MACHINE_ARN)
                .chunkLines(CHUNK_LINES)
                .mapConcurrency(4)
                .endpoints(Map.of(
                        Settings.S3,
                        runtime.s3Endpoint(),
                        Settings.DYNAMODB,
                        runtime.dynamoEndpoint(),
                        Settings.SQS,
                        runtime.sqsEndpoint(),
                        Settings.SFN,
                        runtime.stepFunctionsEndpoint()))
                .staticCredentials(Optional.of(LocalRuntime.CREDENTIALS.split(":", 2)))
                .build();
    }

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String requests() {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < LINES; i++) {
            file.append("{\"custom_id\":\"line-")
                    .append(i)
                    .append("\",\"method\":\"POST\",\"url\":\"")
                    .append(CHAT)
                    .append("\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"line ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        return file.toString();
    }

    /** Loses the first {@code count} deliveries of chunk 0 of the next batch. */
    private static void loseChunk0(int count) {
        losesFrom = new Ids(Clock.systemUTC()).batch();
        chunk0MessagesToLose.set(count);
    }

    private static String submit(String window) {
        String fileId = SdkBatches.upload(client, requests().getBytes(StandardCharsets.UTF_8));
        return client.batches()
                .create(BatchCreateParams.builder()
                        .inputFileId(fileId)
                        .endpoint(BatchCreateParams.Endpoint.of(CHAT))
                        .completionWindow(BatchCreateParams.CompletionWindow.of(window))
                        .build())
                .id();
    }

    /** A batch recorded as the API records one, whose StartExecution never happened: the API crashed in between. */
    private static String recordedButNeverStarted(LocalRuntime runtime, DynamoDbClient dynamo) {
        String fileId =
                SdkBatches.upload(LocalRuntimes.client(runtime), requests().getBytes(StandardCharsets.UTF_8));
        String batchId = new Ids(Clock.systemUTC()).batch();
        long createdAt = Instant.now().getEpochSecond() - 60;
        new DynamoDbBatchRepository(dynamo, LocalRuntime.BATCHES_TABLE)
                .create(
                        "default",
                        dev.openbatch.core.api.Batch.validating(
                                batchId,
                                CHAT,
                                fileId,
                                "24h",
                                createdAt,
                                createdAt + 86400,
                                null,
                                LocalRuntime.DEFAULT_JOB));
        return batchId;
    }

    private static Optional<ExecutionStatus> run(SfnClient sfn, String batchId, int run) {
        try {
            return Optional.of(
                    sfn.describeExecution(b -> b.executionArn(STATE_MACHINE_ARN.replace(":stateMachine:", ":execution:")
                                    + ":" + StepFunctionsLauncher.executionName(batchId, run)))
                            .status());
        } catch (ExecutionDoesNotExistException e) {
            return Optional.empty();
        }
    }

    @Test
    void aBatchWhoseStartWasLost_isStartedByTheSweeper_andCompletesWithEveryLineOnce() {
        String batchId = recordedButNeverStarted(runtime, dynamo);

        Batch batch = AwaitBatch.ended(client, batchId, Duration.ofMinutes(1));

        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        SdkBatches.endings(client, batch, LINES);
        assertThat(run(sfn, batchId, 0)).contains(ExecutionStatus.SUCCEEDED);
        assertThat(run(sfn, batchId, 1)).isEmpty();
    }

    @Test
    void aCancellingBatchWhoseRunEnded_isFinalizedByANewRun_asCancelledWithEveryLineOnce() {
        workersHeld = new CountDownLatch(1);
        String batchId;
        try {
            batchId = submit("24h");
            Poll.until(
                    Duration.ofSeconds(30),
                    "the batch in progress",
                    () -> client.batches().retrieve(batchId).status().equals(Batch.Status.IN_PROGRESS));
            assertThat(client.batches().cancel(batchId).status()).isEqualTo(Batch.Status.CANCELLING);
            // Its run ends without ending it: stopped, as an operator might, so no Catch runs.
            sfn.stopExecution(
                    b -> b.executionArn(STATE_MACHINE_ARN.replace(":stateMachine:", ":execution:") + ":" + batchId));
        } finally {
            workersHeld.countDown();
            workersHeld = null;
        }

        Batch batch = AwaitBatch.ended(client, batchId, Duration.ofMinutes(1));

        assertThat(batch.status()).isEqualTo(Batch.Status.CANCELLED);
        Map<String, JsonNode> endings = SdkBatches.endings(client, batch, LINES);
        assertThat(endings.values())
                .allSatisfy(line -> assertThat(line.at("/error/code").asText()).isEqualTo("batch_cancelled"));
        assertThat(run(sfn, batchId, 0)).contains(ExecutionStatus.ABORTED);
        assertThat(finishedBy(batchId)).isPositive();
    }

    /** The run that ended the batch: the one that succeeded (a slow machine may stall a run and start another). */
    private static int finishedBy(String batchId) {
        for (int r = 0; r < BOUNDS.maxRuns(); r++) {
            if (run(sfn, batchId, r).filter(ExecutionStatus.SUCCEEDED::equals).isPresent()) {
                return r;
            }
        }
        return -1;
    }

    @Test
    void anUnlimitedBatchWhoseChunkMessageWasLost_stallsAndIsSentAgain_andCompletesWithEveryLineOnce() {
        loseChunk0(1);
        String batchId = submit("unlimited");

        Batch batch = AwaitBatch.ended(client, batchId, Duration.ofMinutes(1));

        assertThat(chunk0MessagesToLose).hasValue(0);
        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(LINES);
        SdkBatches.endings(client, batch, LINES);
        assertThat(batch.expiresAt()).isEmpty();
        assertThat(run(sfn, batchId, 0)).contains(ExecutionStatus.ABORTED);
        assertThat(finishedBy(batchId)).isEqualTo(1);
    }

    @Test
    void anUnlimitedBatchThatStallsTwiceInARow_endsExpiredAtItsBound_itsOutputKept_everyLineOnce() {
        loseChunk0(2);
        String batchId = submit("unlimited");

        Batch batch = AwaitBatch.ended(client, batchId, Duration.ofMinutes(1));

        assertThat(batch.status()).isEqualTo(Batch.Status.EXPIRED);
        assertThat(batch.expiresAt()).isPresent();
        Map<String, JsonNode> endings = SdkBatches.endings(client, batch, LINES);
        for (int i = 0; i < LINES; i++) {
            JsonNode line = endings.get("line-" + i);
            if (i < CHUNK_LINES) {
                assertThat(line.at("/error/code").asText())
                        .as("line %d, of the lost chunk", i)
                        .isEqualTo("batch_expired");
            } else {
                assertThat(line.at("/response/status_code").asInt())
                        .as("line %d", i)
                        .isEqualTo(200);
            }
        }
        assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(LINES - CHUNK_LINES);
        assertThat(finishedBy(batchId)).isEqualTo(2);
    }

    @Test
    void twoSweepersAtOnce_startAStuckBatchOnce_andOnceItHasEndedChangeNothing() throws Exception {
        // A runtime whose own sweeper does not come round during the test: only the two below sweep.
        LocalRuntime quiet =
                runtimes.start(LocalRuntimes.options(Options.defaults(), 4, CHUNK_LINES, 10, 2, Duration.ofHours(24), 1)
                        .withSweeper(new LocalRuntime.Sweeper(Duration.ofHours(1), BOUNDS)));
        Settings settings = settings(quiet);
        AwsClients clients = new AwsClients(settings);
        try (DynamoDbClient quietDynamo = clients.dynamoDb();
                SfnClient quietSfn = clients.sfn()) {
            String batchId = recordedButNeverStarted(quiet, quietDynamo);
            SweeperHandler first = new SweeperHandler(new Wiring(settings), BOUNDS);
            SweeperHandler second = new SweeperHandler(new Wiring(settings), BOUNDS);

            List<Sweep.Report> reports = atOnce(first, second);
            assertThat(reports.stream().mapToInt(Sweep.Report::looked).sum()).isEqualTo(2);
            assertThat(reports.stream().mapToInt(Sweep.Report::started).sum()).isEqualTo(1);

            OpenAIClient quietClient = LocalRuntimes.client(quiet);
            Batch batch = AwaitBatch.ended(quietClient, batchId, Duration.ofMinutes(1));
            assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
            SdkBatches.endings(quietClient, batch, LINES);
            assertThat(run(quietSfn, batchId, 1)).isEmpty();

            assertThat(atOnce(first, second)).containsOnly(new Sweep.Report(0, 0, 0, 0, 0, 0));
            assertThat(quietClient.batches().retrieve(batchId)).isEqualTo(batch);
        }
    }

    private static List<Sweep.Report> atOnce(SweeperHandler... sweepers) throws Exception {
        CyclicBarrier together = new CyclicBarrier(sweepers.length);
        List<CompletableFuture<Sweep.Report>> reports = java.util.Arrays.stream(sweepers)
                .map(sweeper -> CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                together.await(10, TimeUnit.SECONDS);
                                ByteArrayOutputStream out = new ByteArrayOutputStream();
                                sweeper.handleRequest(
                                        new ByteArrayInputStream("{}".getBytes(StandardCharsets.UTF_8)),
                                        out,
                                        dev.openbatch.local.lambda.SandboxContext.invocation(
                                                LocalRuntime.SWEEPER_FUNCTION,
                                                java.time.Duration.ofSeconds(
                                                        dev.openbatch.deployment.FunctionTimeouts.SWEEPER_SECONDS)));
                                return Json.MAPPER.readValue(out.toByteArray(), Sweep.Report.class);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        task -> Thread.ofPlatform().start(task)))
                .toList();
        return reports.stream().map(CompletableFuture::join).toList();
    }
}
