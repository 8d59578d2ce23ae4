package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openbatch.core.Ids;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.fakes.InMemoryBatchRepository;
import dev.openbatch.core.fakes.InMemoryChunkStore;
import dev.openbatch.core.fakes.InMemoryContentStore;
import dev.openbatch.core.fakes.InMemoryFileRepository;
import dev.openbatch.core.fakes.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The sweeper's decisions, over the in-memory batch records and a record of the runs it starts and stops. */
class SweepTest {

    private static final String TENANT = "tenant-a";
    private static final Sweep.Bounds BOUNDS = new Sweep.Bounds(Duration.ofMinutes(5), Duration.ofHours(24), 5);

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T00:00:00Z"));
    private final InMemoryBatchRepository batches = new InMemoryBatchRepository();
    private final Runs runs = new Runs();
    private final FinalizeBatch finalize = new FinalizeBatch(
            batches,
            new InMemoryFileRepository(),
            new InMemoryContentStore(),
            new InMemoryChunkStore(),
            new Ids(clock),
            clock);
    private final Sweep sweep = new Sweep(batches, runs, finalize, BOUNDS, clock);

    /** Runs by batch and number: what was started, what stopped, and their states as the test sets them. */
    static final class Runs implements BatchRuns {
        final Map<String, State> states = new HashMap<>();
        final List<String> started = new ArrayList<>();
        final List<String> stopped = new ArrayList<>();

        @Override
        public synchronized State state(String batchId, int run) {
            return states.getOrDefault(batchId + "#" + run, State.ABSENT);
        }

        @Override
        public synchronized void start(String tenant, String batchId, int run) {
            started.add(batchId + "#" + run);
            states.putIfAbsent(batchId + "#" + run, State.RUNNING);
        }

        @Override
        public synchronized void stop(String batchId, int run) {
            stopped.add(batchId + "#" + run);
            states.computeIfPresent(batchId + "#" + run, (k, s) -> State.ENDED);
        }

        void set(String batchId, int run, State state) {
            states.put(batchId + "#" + run, state);
        }
    }

    private String created(String id, String window) {
        long now = clock.instant().getEpochSecond();
        batches.create(
                TENANT,
                Batch.validating(
                        id,
                        "/v1/chat/completions",
                        "file-in",
                        window,
                        now,
                        window.equals("24h") ? now + 86400 : null,
                        null,
                        "job-a"));
        return id;
    }

    private String inProgress(String id, String window) {
        created(id, window);
        runs.set(id, 0, BatchRuns.State.RUNNING);
        batches.transition(
                TENANT,
                id,
                Set.of(Batch.Status.VALIDATING),
                Batch.Status.IN_PROGRESS,
                Map.of("in_progress_at", clock.instant().getEpochSecond()),
                10L,
                null);
        return id;
    }

    private Batch batch(String id) {
        return batches.find(TENANT, id).orElseThrow();
    }

    @Test
    void aValidatingBatchNeverStarted_isStarted_onceItsGraceHasPassed() {
        String id = created("batch_crashed", "24h");

        clock.advance(Duration.ofMinutes(4));
        assertThat(sweep.run().looked()).isZero();
        assertThat(runs.started).isEmpty();

        clock.advance(Duration.ofMinutes(1));
        assertThat(sweep.run().started()).isEqualTo(1);
        assertThat(runs.started).containsExactly(id + "#0");
        assertThat(runs.stopped).isEmpty();

        // Started: the next sweeps find it going and leave it, until it stalls.
        clock.advance(Duration.ofMinutes(10));
        Sweep.Report report = sweep.run();
        assertThat(report.looked()).isEqualTo(1);
        assertThat(runs.started).containsExactly(id + "#0");
    }

    @Test
    void aValidatingBatchWhoseRunIsGoing_isLeftAsItIs() {
        String id = created("batch_validating", "24h");
        runs.set(id, 0, BatchRuns.State.RUNNING);
        clock.advance(Duration.ofHours(1));

        Sweep.Report report = sweep.run();

        assertThat(report).isEqualTo(new Sweep.Report(1, 0, 0, 0, 0, 0));
        assertThat(runs.started).isEmpty();
        assertThat(batches.swept(id).orElseThrow().run()).isZero();
    }

    @Test
    void aCancellingBatchWhoseRunEnded_getsANewRun_whichFinalizesIt_andTheEndedOneIsStopped() {
        String id = inProgress("batch_cancelled", "24h");
        batches.transition(
                TENANT,
                id,
                Set.of(Batch.Status.IN_PROGRESS),
                Batch.Status.CANCELLING,
                Map.of("cancelling_at", clock.instant().getEpochSecond()),
                null,
                null);
        runs.set(id, 0, BatchRuns.State.ENDED);
        clock.advance(Duration.ofMinutes(5));

        assertThat(sweep.run().resent()).isEqualTo(1);

        assertThat(runs.started).containsExactly(id + "#1");
        assertThat(runs.stopped).containsExactly(id + "#0");
        assertThat(batches.swept(id).orElseThrow().run()).isEqualTo(1);
        assertThat(batch(id).status()).isEqualTo(Batch.Status.CANCELLING);
    }

    @Test
    void aCancellingBatchNeverStarted_isStarted_soThatItsRunEndsItsLinesAsCancelled() {
        String id = created("batch_cancelled_early", "24h");
        batches.transition(
                TENANT,
                id,
                Set.of(Batch.Status.VALIDATING),
                Batch.Status.CANCELLING,
                Map.of("cancelling_at", clock.instant().getEpochSecond()),
                null,
                null);
        clock.advance(Duration.ofMinutes(5));

        assertThat(sweep.run().started()).isEqualTo(1);
        assertThat(runs.started).containsExactly(id + "#0");
    }

    @Test
    void aRunningBatchThatEndedLines_isMarkedAndLeft_andLookedAtAgainAStallBoundLater() {
        String id = inProgress("batch_busy", "unlimited");
        clock.advance(Duration.ofHours(24));
        assertThat(batches.countChunk(TENANT, id, 0, new PartCounts(3, 1, 0))).isTrue();

        assertThat(sweep.run().progressed()).isEqualTo(1);
        assertThat(batches.swept(id).orElseThrow().seen()).isEqualTo(4);

        clock.advance(Duration.ofHours(23));
        assertThat(sweep.run().looked()).isZero();
        assertThat(runs.started).isEmpty();
    }

    @Test
    void anUnlimitedBatchThatStalls_isSentAgain_thenExpired_thenFailed_oneStallBoundApart() {
        String id = inProgress("batch_stalled", "unlimited");

        clock.advance(Duration.ofHours(24));
        assertThat(sweep.run().resent()).isEqualTo(1);
        assertThat(runs.started).containsExactly(id + "#1");
        assertThat(runs.stopped).containsExactly(id + "#0");
        assertThat(batch(id).expiresAt()).isNull();

        clock.advance(Duration.ofHours(23));
        assertThat(sweep.run().looked()).isZero();

        clock.advance(Duration.ofHours(1));
        Sweep.Report second = sweep.run();
        assertThat(second.resent()).isEqualTo(1);
        assertThat(second.expired()).isEqualTo(1);
        assertThat(runs.started).containsExactly(id + "#1", id + "#2");
        assertThat(batch(id).expiresAt()).isEqualTo(clock.instant().getEpochSecond());
        assertThat(batch(id).status()).isEqualTo(Batch.Status.IN_PROGRESS);

        clock.advance(Duration.ofHours(24));
        assertThat(sweep.run().failed()).isEqualTo(1);
        assertThat(batch(id).status()).isEqualTo(Batch.Status.FAILED);
        assertThat(batch(id).errors().data().getFirst().message()).contains("72 hours");
        assertThat(runs.stopped).contains(id + "#2");
        assertThat(batches.swept(id)).isEmpty();
    }

    @Test
    void aStallAfterProgress_startsTheCountAgain_soOnlyStallsInARowExpireABatch() {
        String id = inProgress("batch_patchy", "unlimited");
        clock.advance(Duration.ofHours(24));
        sweep.run();
        batches.countChunk(TENANT, id, 0, new PartCounts(5, 0, 0));
        clock.advance(Duration.ofHours(24));
        assertThat(sweep.run().progressed()).isEqualTo(1);

        clock.advance(Duration.ofHours(24));
        Sweep.Report report = sweep.run();

        assertThat(report.resent()).isEqualTo(1);
        assertThat(report.expired()).isZero();
        assertThat(batch(id).expiresAt()).isNull();
        assertThat(batches.swept(id).orElseThrow().stalls()).isEqualTo(1);
    }

    @Test
    void a24hBatchThatStalls_isSentAgain_butKeepsItsWindow() {
        String id = inProgress("batch_24h", "24h");
        long window = batch(id).expiresAt();
        clock.advance(Duration.ofHours(24));
        sweep.run();
        clock.advance(Duration.ofHours(24));

        assertThat(sweep.run().expired()).isZero();
        assertThat(batch(id).expiresAt()).isEqualTo(window);
        assertThat(runs.started).containsExactly(id + "#1", id + "#2");
    }

    @Test
    void aBatchWhoseRunsKeepEndingWithoutEndingIt_endsFailed_afterItsLastRun() {
        String id = created("batch_doomed", "24h");
        for (int run = 0; run < BOUNDS.maxRuns(); run++) {
            runs.set(id, run, BatchRuns.State.ENDED);
        }
        for (int sweeps = 0;
                sweeps < BOUNDS.maxRuns() && batch(id).status().equals(Batch.Status.VALIDATING);
                sweeps++) {
            clock.advance(Duration.ofMinutes(5));
            sweep.run();
        }

        assertThat(batch(id).status()).isEqualTo(Batch.Status.FAILED);
        assertThat(runs.started).containsExactly(id + "#1", id + "#2", id + "#3", id + "#4");
        assertThat(batch(id).errors().data().getFirst().message()).contains("5 runs");
    }

    @Test
    void aSweeperStoppedBetweenItsMarkAndItsStart_isMadeGoodByTheNextSweep() {
        String id = inProgress("batch_interrupted", "unlimited");
        runs.set(id, 0, BatchRuns.State.ENDED);
        clock.advance(Duration.ofHours(24));
        Sweep crashing = new Sweep(
                batches,
                new BatchRuns() {
                    @Override
                    public State state(String batchId, int run) {
                        return runs.state(batchId, run);
                    }

                    @Override
                    public void start(String tenant, String batchId, int run) {
                        throw new IllegalStateException("the sweeper's sandbox stops here");
                    }

                    @Override
                    public void stop(String batchId, int run) {
                        runs.stop(batchId, run);
                    }
                },
                finalize,
                BOUNDS,
                clock);
        assertThatThrownBy(crashing::run).isInstanceOf(IllegalStateException.class);
        assertThat(batches.swept(id).orElseThrow().run()).isEqualTo(1);

        clock.advance(Duration.ofHours(24));
        assertThat(sweep.run().started()).isEqualTo(1);
        assertThat(runs.started).containsExactly(id + "#1");
    }

    @Test
    void twoSweepersAtOnce_actOnEachBatchOnce() {
        String crashed = created("batch_crashed", "24h");
        String ended = inProgress("batch_ended", "24h");
        batches.transition(
                TENANT,
                ended,
                Set.of(Batch.Status.IN_PROGRESS),
                Batch.Status.CANCELLING,
                Map.of("cancelling_at", clock.instant().getEpochSecond()),
                null,
                null);
        runs.set(ended, 0, BatchRuns.State.ENDED);
        clock.advance(Duration.ofMinutes(5));
        // The second sweeper runs whole between the first one's finding the batches and its acting on them.
        Sweep second = new Sweep(batches, runs, finalize, BOUNDS, clock);
        Sweep first = new Sweep(
                new SweepIndex() {
                    @Override
                    public List<Entry> due(String status, long sinceAtMost, int limit) {
                        List<Entry> found = batches.due(status, sinceAtMost, limit);
                        if (!found.isEmpty()) {
                            second.run();
                        }
                        return found;
                    }

                    @Override
                    public boolean mark(Entry entry, Mark mark) {
                        return batches.mark(entry, mark);
                    }
                },
                runs,
                finalize,
                BOUNDS,
                clock);

        Sweep.Report report = first.run();

        assertThat(report.started() + report.resent()).isZero();
        assertThat(runs.started).containsExactlyInAnyOrder(crashed + "#0", ended + "#1");
        assertThat(batches.swept(ended).orElseThrow().run()).isEqualTo(1);
    }

    @Test
    void bounds_theStallBoundMustBeShorterThanTheQueuesRetention_andLongerThanTheGrace() {
        assertThatThrownBy(() -> new Sweep.Bounds(Duration.ofMinutes(5), Duration.ofDays(14), 5))
                .hasMessageContaining("retention");
        assertThatThrownBy(() -> new Sweep.Bounds(Duration.ofMinutes(5), Duration.ofMinutes(5), 5))
                .hasMessageContaining("grace");
        assertThatThrownBy(() -> new Sweep.Bounds(Duration.ofMinutes(5), Duration.ofHours(1), 2))
                .hasMessageContaining("3 runs");
    }
}
