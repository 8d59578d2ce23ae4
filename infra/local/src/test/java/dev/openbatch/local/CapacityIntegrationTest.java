package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import dev.openbatch.aws.AwsClients;
import dev.openbatch.aws.DynamoDbCapacityStore;
import dev.openbatch.aws.Settings;
import dev.openbatch.aws.WorkerHandler;
import dev.openbatch.core.capacity.CapacityStore;
import dev.openbatch.core.capacity.Leases;
import dev.openbatch.reference.Options;
import dev.openbatch.reference.ReferenceEndpoint;
import dev.openbatch.reference.Stats;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * A job's concurrency across workers, and fair shares between jobs and batches, with the workers as
 * separate sandboxes — each its own wiring, its own runner and leases, polling the chunk queue one
 * chunk at a time, as Lambda runs them — over the runtime's emulators and three reference endpoints,
 * one per job.
 */
class CapacityIntegrationTest {

    private static final String CHAT = "/v1/chat/completions";
    private static final int SANDBOXES = 6;
    /** job-local: the runtime's own reference endpoint, 100 ms a request. */
    private static final int JOB_A = 32;
    /** job-b: another GPU, 100 ms a request. */
    private static final int JOB_B = 8;
    /** job-c: a GPU that takes 10 requests at once, 50 ms each, and refuses the rest with a 429. */
    private static final int JOB_C = 16;

    private static final int CHUNK_LINES = 400;

    private static ReferenceEndpoint endpointB;
    private static ReferenceEndpoint endpointC;
    private static LocalRuntime runtime;
    private static OpenAIClient client;
    private static final List<SqsEventSource> sandboxes = new ArrayList<>();
    private static LeaseWatch leases;

    @BeforeAll
    static void start() throws IOException {
        endpointB = ReferenceEndpoint.start(
                Options.builder().latency(Duration.ofMillis(100)).build());
        endpointC = ReferenceEndpoint.start(Options.builder()
                .latency(Duration.ofMillis(50))
                .maxConcurrency(10)
                .build());
        LocalRuntime.Options options = LocalRuntimes.isolated("openbatch-capacity")
                .reference(Options.builder().latency(Duration.ofMillis(100)).build())
                .jobConcurrency(JOB_A)
                .chunkLines(CHUNK_LINES)
                .mapConcurrency(8)
                .workers(1)
                .build()
                .withRetries(
                        // The deployed backoff (0.5 s doubling): six quick tries against an endpoint that takes 10
                        // of 16 could all be refused before the adaptive limit comes down, ending the line an error.
                        new Settings.Retries(Duration.ofSeconds(10), Duration.ofMillis(500), Duration.ofSeconds(1)));
        runtime = LocalRuntime.start(
                options,
                LocalRuntime.Interceptors.NONE,
                List.of(
                        Map.of("id", "job-b", "base_url", endpointB.baseUrl().toString(), "concurrency", JOB_B),
                        Map.of("id", "job-c", "base_url", endpointC.baseUrl().toString(), "concurrency", JOB_C)));
        client = LocalRuntimes.client(runtime);
        // The runtime's worker is one sandbox with one poller; five more, each wired on its own.
        AwsClients clients = new AwsClients(runtime.settings());
        SqsClient sqs = clients.sqs();
        String queueUrl =
                sqs.getQueueUrl(b -> b.queueName(LocalRuntime.CHUNK_QUEUE)).queueUrl();
        String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes()
                .get(QueueAttributeName.QUEUE_ARN);
        for (int i = 1; i < SANDBOXES; i++) {
            sandboxes.add(new SqsEventSource(
                    sqs,
                    queueUrl,
                    queueArn,
                    1,
                    1,
                    1,
                    false,
                    new dev.openbatch.local.lambda.LocalLambda<>(
                            LocalRuntime.WORKER_FUNCTION,
                            Duration.ofMinutes(15),
                            1,
                            sandbox -> new WorkerHandler(
                                    LocalRuntime.wiring(runtime.settings(), LocalRuntime.WORKER_FUNCTION)))));
        }
        leases = new LeaseWatch(new DynamoDbCapacityStore(clients.dynamoDb(), LocalRuntime.CAPACITY_TABLE));
    }

    @AfterAll
    static void stop() {
        if (leases != null) {
            leases.close();
        }
        sandboxes.forEach(SqsEventSource::close);
        if (runtime != null) {
            runtime.close();
        }
        if (endpointB != null) {
            endpointB.close();
        }
        if (endpointC != null) {
            endpointC.close();
        }
    }

    @Test
    void aJobsConcurrency_boundsItsEndpoint_acrossEverySandbox() {
        long started = System.nanoTime();
        String batchId = submit("job-local", 2_000);
        Batch batch = AwaitBatch.ended(client, batchId, Duration.ofSeconds(60));
        double took = seconds(started);

        Stats stats = runtime.referenceStats();
        System.out.printf(
                "capacity: %d sandboxes, job concurrency %d, 2000 lines in 5 chunks: endpoint max_in_flight"
                        + " %d; at most %d sandboxes held its leases at once, %d permits leased in all; %.1f s%n",
                SANDBOXES,
                JOB_A,
                stats.maxInFlight(),
                leases.mostHolders(batchId),
                leases.mostLeased("job-local"),
                took);
        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(2_000);
        assertThat(batch.requestCounts().orElseThrow().failed()).isZero();
        assertThat(stats.maxInFlight())
                .as("the endpoint never saw more than the job's concurrency")
                .isLessThanOrEqualTo(JOB_A);
        assertThat(leases.mostHolders(batchId))
                .as("sandboxes shared the job, each with 8 permits or more")
                .isBetween(2, JOB_A / 8);
        assertThat(leases.mostLeased("job-local")).isLessThanOrEqualTo(JOB_A);
    }

    @Test
    void theAdaptiveLimit_stillSteersBelowTheBound_whenTheEndpointTakesLess() {
        Batch batch = AwaitBatch.ended(client, submit("job-c", 600), Duration.ofSeconds(60));

        Stats stats = endpointC.stats();
        System.out.printf(
                "capacity: job concurrency %d, endpoint takes 10: %d answered, %d refused (429),"
                        + " max_in_flight %d, %d permits leased at most%n",
                JOB_C, stats.answered(), stats.rateLimited(), stats.maxInFlight(), leases.mostLeased("job-c"));
        assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(600);
        assertThat(stats.maxInFlight()).isLessThanOrEqualTo(JOB_C);
        assertThat(leases.mostLeased("job-c")).isLessThanOrEqualTo(JOB_C);
        // Held at 16 in flight, 6 of every 16 sends would be refused: 360 refusals for 600 answers, and a
        // line could spend its six tries; steered below, fewer.
        assertThat(stats.rateLimited())
                .as("the adaptive limit keeps refusals fewer than answers")
                .isLessThan(stats.answered());
    }

    @Test
    void aSmallBatchOnAnotherJob_finishesPromptly_whileABigBatchRunsOnTheFirst() {
        String big = submit("job-local", 2_400);
        awaitCapacityTaken(big);

        long started = System.nanoTime();
        Batch small = AwaitBatch.ended(client, submit("job-b", 40), Duration.ofSeconds(60));
        double took = seconds(started);

        Batch bigNow = client.batches().retrieve(big);
        System.out.printf(
                "capacity: 40 lines on job B took %.1f s while 2400 lines ran on job A (%d lines done by then)%n",
                took, bigNow.requestCounts().map(c -> c.completed()).orElse(0L));
        assertThat(small.requestCounts().orElseThrow().completed()).isEqualTo(40);
        assertThat(took).as("the small batch did not wait for job A's chunks").isLessThan(8);
        assertThat(AwaitBatch.ENDED).as("job A's batch was still running").doesNotContain(bigNow.status());
        cancel(big);
    }

    @Test
    void aSmallBatch_onTheJobOfARunningBigBatch_finishesInATimeProportionalToItsSize() {
        long aloneStarted = System.nanoTime();
        AwaitBatch.ended(client, submit("job-local", 50), Duration.ofSeconds(60));
        double alone = seconds(aloneStarted);

        String big = submit("job-local", 2_400);
        awaitCapacityTaken(big);
        long started = System.nanoTime();
        String smallId = submit("job-local", 50);
        Batch small = AwaitBatch.ended(client, smallId, Duration.ofSeconds(60));
        double took = seconds(started);

        Batch bigNow = client.batches().retrieve(big);
        System.out.printf(
                "capacity: 50 lines on job A took %.1f s alone, %.1f s beside 2400 lines of the same job"
                        + " (%d lines done by then), with %d of the job's %d permits at most%n",
                alone,
                took,
                bigNow.requestCounts().map(c -> c.completed()).orElse(0L),
                leases.mostPermits(smallId),
                JOB_A);
        assertThat(small.requestCounts().orElseThrow().completed()).isEqualTo(50);
        assertThat(leases.mostPermits(smallId))
                .as("a batch's share, half the job, not a chunk's")
                .isGreaterThanOrEqualTo(JOB_A / 2);
        assertThat(took).as("half the endpoint, after a renewal or two").isLessThan(alone + 8);
        assertThat(AwaitBatch.ENDED).as("the big batch was still running").doesNotContain(bigNow.status());
        cancel(big);
    }

    /**
     * The test plays a sandbox holding all of job B, renewing its lease every second (a 4 s TTL),
     * until another sandbox waits for job B's capacity; then it dies: it renews no more.
     */
    @Test
    void aDeadSandboxsLease_keepsItsPermitsUntilItExpires_thenTheyComeBack() {
        CapacityStore store = leases.store;
        long ttl = 4_000;
        long requestsBefore = endpointB.stats().requests();
        long renewedAt = renewAsDeadSandbox(store, ttl);

        String batchId = submit("job-b", 40);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (store.read("job-b").holders().keySet().stream().allMatch(holder -> holder.equals("dead-sandbox"))) {
            assertThat(System.nanoTime())
                    .as("a sandbox waiting for job B's capacity")
                    .isLessThan(deadline);
            if (System.currentTimeMillis() - renewedAt > 1_000) {
                renewedAt = renewAsDeadSandbox(store, ttl);
            }
            AwaitBatch.pause();
        }
        long expiresAt = renewedAt + ttl;
        long sentBeforeExpiry = 0;
        while (System.currentTimeMillis() < expiresAt - 100) {
            sentBeforeExpiry = endpointB.stats().requests() - requestsBefore;
            AwaitBatch.pause();
        }
        Poll.until(
                Duration.ofSeconds(30),
                "a request at job B's endpoint",
                () -> endpointB.stats().requests() > requestsBefore);
        long firstRequestAt = System.currentTimeMillis();
        Batch batch = AwaitBatch.ended(client, batchId, Duration.ofSeconds(60));

        System.out.printf(
                "capacity: a sandbox holding all of job B died; its lease (TTL %d ms) expired and the"
                        + " waiting sandbox sent its first request %d ms later%n",
                ttl, firstRequestAt - expiresAt);
        assertThat(sentBeforeExpiry)
                .as("nothing sent while the dead lease lived")
                .isZero();
        assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(40);
        assertThat(firstRequestAt - expiresAt)
                .as("the capacity came back soon after")
                .isLessThan(5_000);
        assertThat(store.read("job-b").holders()).doesNotContainKey("dead-sandbox");
    }

    /** Renews the dead-to-be sandbox's lease on all of job B, all of it in flight; answers when. */
    private static long renewAsDeadSandbox(CapacityStore store, long ttl) {
        while (true) {
            long now = System.currentTimeMillis();
            Leases current = store.read("job-b");
            Leases next = current.renew("dead-sandbox", "batch_dead", JOB_B, JOB_B, JOB_B, 1, now, ttl, false)
                    .next();
            if (store.compareAndSet("job-b", current.version(), next).written()) {
                return now;
            }
        }
    }

    private static void cancel(String batchId) {
        client.batches().cancel(batchId);
        AwaitBatch.ended(client, batchId, Duration.ofSeconds(60));
    }

    private static String submit(String job, int lines) {
        return SdkBatches.create(client, CHAT, SdkBatches.upload(client, jsonl(lines)), job);
    }

    private static byte[] jsonl(int lines) {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            file.append("{\"custom_id\":\"r-")
                    .append(i)
                    .append("\",\"method\":\"POST\",\"url\":\"")
                    .append(CHAT)
                    .append("\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"line ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        return file.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Waits until the batch's chunks hold all of job A's capacity. */
    private static void awaitCapacityTaken(String batchId) {
        Poll.until(
                Duration.ofSeconds(30),
                "the capacity of job A taken by " + batchId,
                () -> leases.store.read("job-local").leased(System.currentTimeMillis()) >= JOB_A);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** Reads the capacity table every 50 ms, as an auditor would: the most holders and permits per job. */
    private static final class LeaseWatch implements AutoCloseable {
        private final CapacityStore store;
        private final Map<String, Integer> holders = new ConcurrentHashMap<>();
        private final Map<String, Integer> leased = new ConcurrentHashMap<>();
        private final Map<String, Integer> batchPermits = new ConcurrentHashMap<>();
        private final Thread thread;

        LeaseWatch(CapacityStore store) {
            this.store = store;
            this.thread = Thread.ofVirtual().start(this::watch);
        }

        private void watch() {
            while (!Thread.currentThread().isInterrupted()) {
                for (String job : List.of("job-local", "job-b", "job-c")) {
                    Leases record = store.read(job);
                    long now = System.currentTimeMillis();
                    leased.merge(job, record.leased(now), Math::max);
                    Map<String, Integer> byBatch = new java.util.HashMap<>();
                    Map<String, Integer> holdersByBatch = new java.util.HashMap<>();
                    record.holders().values().stream()
                            .filter(l -> l.expiresAt() > now)
                            .forEach(l -> {
                                byBatch.merge(l.batchId(), l.permits(), Integer::sum);
                                // Holders in their chunk's last lines want less and let another start: not counted.
                                holdersByBatch.merge(l.batchId(), l.wanted() >= 8 ? 1 : 0, Integer::sum);
                            });
                    byBatch.forEach((batch, permits) -> batchPermits.merge(batch, permits, Math::max));
                    holdersByBatch.forEach((batch, count) -> holders.merge(batch, count, Math::max));
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** The most sandboxes that held leases for the batch at once, with 8 or more lines still to run. */
        int mostHolders(String batchId) {
            return holders.getOrDefault(batchId, 0);
        }

        /** The most permits the batch's holders had together. */
        int mostPermits(String batchId) {
            return batchPermits.getOrDefault(batchId, 0);
        }

        int mostLeased(String job) {
            return leased.getOrDefault(job, 0);
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }
}
