package dev.openbatch.core.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openbatch.core.Json;
import dev.openbatch.core.fakes.StubEndpoint;
import dev.openbatch.core.fakes.TestImageResolvers;
import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import dev.openbatch.core.pipeline.ChunkRunner;
import dev.openbatch.core.pipeline.InferenceClient;
import dev.openbatch.core.pipeline.OutputLine;
import dev.openbatch.core.pipeline.RequestLine;
import dev.openbatch.core.pipeline.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Several sandboxes, each with its own runner and leases, over one store: as workers in Lambda. */
class CapacityLeasesTest {

    private static final CapacityLeases.Policy QUICK =
            new CapacityLeases.Policy(Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofMillis(50), 1);

    private final CapacityStore store = new InMemoryCapacityStore();

    @Test
    void sandboxesRunningOneJob_neverHaveMoreThanItsConcurrencyAtTheEndpoint_together() throws Exception {
        try (StubEndpoint endpoint = new StubEndpoint()) {
            Job job = job(endpoint, 6);
            List<ChunkRunner> sandboxes = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                sandboxes.add(runner(new CapacityLeases(store, Clock.systemUTC(), QUICK)));
            }
            List<Future<List<OutputLine>>> runs = new ArrayList<>();
            try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < sandboxes.size(); i++) {
                    ChunkRunner sandbox = sandboxes.get(i);
                    String batch = "batch_" + (i % 2);
                    runs.add(workers.submit(() -> sandbox.run(batch, job, lines(60, "slow"), Optional::empty)));
                }
                for (Future<List<OutputLine>> run : runs) {
                    assertThat(run.get()).hasSize(60).allMatch(OutputLine::succeeded);
                }
            }
            System.out.printf(
                    "capacity: 5 sandboxes, concurrency 6: max in flight %d of %d requests%n",
                    endpoint.maxInFlight.get(), endpoint.requests.get());
            assertThat(endpoint.maxInFlight.get()).isLessThanOrEqualTo(6);
            assertThat(store.read(job.id()).leased(System.currentTimeMillis()))
                    .as("every lease given back")
                    .isZero();
        }
    }

    @Test
    void aChunksLastLines_giveBackWhatTheyNoLongerNeed_atOnce_notAtTheNextRenewal() throws Exception {
        try (StubEndpoint endpoint = new StubEndpoint()) {
            Job job = job(endpoint, 12);
            CapacityLeases.Policy slow =
                    new CapacityLeases.Policy(Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofMillis(50), 1);
            CapacityLeases leases = new CapacityLeases(store, Clock.systemUTC(), slow);
            try (CapacityLeases.Share share = leases.join(job, "batch_tail", 12)) {
                assertThat(share.granted()).isEqualTo(12);
                for (int i = 0; i < 6; i++) {
                    share.ended();
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (permitsLeased(job) > 7 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(permitsLeased(job))
                        .as("half its lines ended: its lease down to within one of what it still wants (a"
                                + " surplus smaller than that waits for the next renewal), long before the 10 s one")
                        .isLessThanOrEqualTo(7);
                assertThat(share.granted()).isLessThanOrEqualTo(7);
            }
        }
    }

    @Test
    void aHolderThatWantsMore_takesUpWhatAnotherSandboxGaveBack_withinAQuarterOfTheRenewalPeriod() throws Exception {
        try (StubEndpoint endpoint = new StubEndpoint()) {
            Job job = job(endpoint, 12);
            CapacityLeases.Policy slow =
                    new CapacityLeases.Policy(Duration.ofSeconds(30), Duration.ofSeconds(8), Duration.ofMillis(50), 1);
            CapacityLeases small = new CapacityLeases(store, Clock.systemUTC(), slow);
            CapacityLeases large = new CapacityLeases(store, Clock.systemUTC(), slow);
            CapacityLeases.Share leaving = small.join(job, "batch_small", 6);
            try (CapacityLeases.Share hungry = large.join(job, "batch_large", 100)) {
                assertThat(hungry.granted()).as("what the small batch leaves").isEqualTo(6);
                leaving.close();
                long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (hungry.granted() < 12 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(hungry.granted())
                        .as("the whole job, read again within 2 s (a quarter of the 8 s period), not at the period")
                        .isEqualTo(12);
            }
        }
    }

    private int permitsLeased(Job job) {
        return store.read(job.id()).leased(System.currentTimeMillis());
    }

    @Test
    void sandboxesRunningAPool_neverHaveMoreThanEachReplicasConcurrencyAtIt_eachLeasedOnItsOwnRecord()
            throws Exception {
        try (StubEndpoint a = new StubEndpoint();
                StubEndpoint b = new StubEndpoint()) {
            Job job = JobCatalog.fromJson(Json.writeString(Map.of(
                            "jobs",
                            List.of(Map.of(
                                    "id",
                                    "job-pool",
                                    "endpoints",
                                    List.of(
                                            Map.of("base_url", a.baseUrl().toString(), "concurrency", 3),
                                            Map.of("base_url", b.baseUrl().toString(), "concurrency", 5)))))))
                    .find("job-pool")
                    .orElseThrow();
            assertThat(job.endpoints()).extracting(Job.Endpoint::key).containsExactly("job-pool/0", "job-pool/1");
            try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<List<OutputLine>>> runs = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    ChunkRunner sandbox = runner(new CapacityLeases(store, Clock.systemUTC(), QUICK));
                    String batch = "batch_" + (i % 2);
                    runs.add(workers.submit(() -> sandbox.run(batch, job, lines(60, "slow"), Optional::empty)));
                }
                for (Future<List<OutputLine>> run : runs) {
                    assertThat(run.get()).hasSize(60).allMatch(OutputLine::succeeded);
                }
            }
            assertThat(a.maxInFlight.get()).isBetween(1, 3);
            assertThat(b.maxInFlight.get()).isBetween(1, 5);
            assertThat(a.requests.get() + b.requests.get()).isEqualTo(240);
            assertThat(store.read("job-pool/0").version())
                    .as("replica 0 leased on its own record")
                    .isPositive();
            assertThat(store.read("job-pool/1").version()).isPositive();
            assertThat(store.read("job-pool").version())
                    .as("no record for the job as a whole")
                    .isZero();
        }
    }

    @Test
    void aChunk_whoseBatchsHoldersShareTheJobAlready_isNotStarted_whenItWouldGetLessThanTheMinimum() throws Exception {
        try (StubEndpoint endpoint = new StubEndpoint()) {
            Job job = job(endpoint, 8);
            CapacityLeases.Policy worthFour =
                    new CapacityLeases.Policy(Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofMillis(50), 4);
            CapacityLeases first = new CapacityLeases(store, Clock.systemUTC(), worthFour);
            CapacityLeases second = new CapacityLeases(store, Clock.systemUTC(), worthFour);
            CapacityLeases third = new CapacityLeases(store, Clock.systemUTC(), worthFour);
            try (CapacityLeases.Share one = first.join(job, "batch_a", 100);
                    CapacityLeases.Share two = second.join(job, "batch_a", 100)) {
                assertThatThrownBy(() -> third.join(job, "batch_a", 100)).isInstanceOf(NoCapacity.class);
                try (CapacityLeases.Share otherBatch = third.join(job, "batch_b", 100)) {
                    assertThat(otherBatch).isNotNull();
                }
                assertThat(one).isNotSameAs(two);
            }
        }
    }

    @Test
    void aDeadSandboxsLease_holdsItsPermitsUntilItsTtl_thenTheyComeBack() throws Exception {
        try (StubEndpoint endpoint = new StubEndpoint()) {
            Job job = job(endpoint, 4);
            long diedAt = System.currentTimeMillis();
            Leases dead = Leases.NONE
                    .renew("dead-sandbox", "batch_a", 4, 4, 4, 1, diedAt, 1_000, true)
                    .next();
            assertThat(store.compareAndSet(job.id(), 0, dead).written()).isTrue();

            long started = System.nanoTime();
            List<OutputLine> outputs = runner(new CapacityLeases(store, Clock.systemUTC(), QUICK))
                    .run("batch_a", job, lines(8, "echo"), Optional::empty);
            long tookMs = (System.nanoTime() - started) / 1_000_000;

            assertThat(outputs).allMatch(OutputLine::succeeded);
            System.out.printf(
                    "capacity: a dead sandbox's lease (TTL 1000 ms) returned; the chunk took %d ms%n", tookMs);
            assertThat(tookMs).as("nothing sent while the dead lease lived").isGreaterThanOrEqualTo(900);
            assertThat(store.read(job.id()).holders())
                    .as("the dead lease is gone")
                    .doesNotContainKey("dead-sandbox");
        }
    }

    private static ChunkRunner runner(CapacityLeases capacity) {
        return new ChunkRunner(
                new InferenceClient(Duration.ofSeconds(2), Duration.ofSeconds(5)),
                TestImageResolvers.none(),
                new RetryPolicy(5, Duration.ofMillis(1), Duration.ofMillis(20)),
                Clock.systemUTC(),
                dev.openbatch.core.jobs.Credentials.FIXED,
                capacity);
    }

    private static Job job(StubEndpoint endpoint, int concurrency) {
        return JobCatalog.fromJson(Json.writeString(Map.of(
                        "jobs",
                        List.of(Map.of(
                                "id",
                                "job-bound",
                                "base_url",
                                endpoint.baseUrl().toString(),
                                "concurrency",
                                concurrency)))))
                .find("job-bound")
                .orElseThrow();
    }

    private static List<RequestLine> lines(int count, String model) throws Exception {
        List<RequestLine> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            lines.add(new RequestLine(
                    i + 1, "r" + i, "/v1/chat/completions", Json.MAPPER.readTree("{\"model\":\"" + model + "\"}")));
        }
        return lines;
    }
}
