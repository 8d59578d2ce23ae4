package dev.openbatch.core.pipeline;

import dev.openbatch.core.api.Batch;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Nothing hangs: run every few minutes, it finds the batches that have not ended and should have
 * moved, and moves them.
 *
 * <ul>
 * <li>A batch {@code validating} (or {@code cancelling}, {@code finalizing}) for longer than the
 *     grace period whose run was never started — a crash between its record and
 *     {@code StartExecution} — is started; starting is idempotent, so a run that exists is left.</li>
 * <li>A batch whose run has ended without ending it (its last step could not record the end) gets a
 *     new run, which goes on from what the last one left: every step is idempotent, a chunk whose
 *     part is whole is only counted, a cancelled batch's lines end as {@code batch_cancelled}, and
 *     the finalizer ends it.</li>
 * <li>A batch whose run goes on but in which no line has ended for the stall bound — a chunk's
 *     message lost, so its task token will never be answered — is <em>stalled</em>: its run is
 *     stopped and a new one sends every chunk again. The second stall in a row of an
 *     {@code unlimited} batch also sets its {@code expires_at}, so its lines not yet run end as
 *     {@code batch_expired} at once and it ends {@code expired}, its output kept; the third ends it
 *     {@code failed}. That is the bound of an {@code unlimited} batch: three stall bounds without
 *     a line ending.</li>
 * <li>A batch that has had {@link Bounds#maxRuns} runs and still not ended is ended {@code failed}.</li>
 * </ul>
 *
 * <p>It also removes the files whose {@code expires_at} has passed (reads refuse them from that
 * moment on; this is how their records and bytes go).
 *
 * <p>Each batch found is marked with a conditional write before anything is done to it, so two
 * sweepers at once act on it once; and what they do — start a run of a given number, stop one,
 * fail a batch — changes nothing when done twice.
 */
public final class Sweep {

    /** How long SQS keeps the chunk queue's messages (its maximum): a message older than this is gone. */
    public static final Duration QUEUE_RETENTION = Duration.ofDays(14);

    /**
     * At most this many batches of each status are looked at per sweep, oldest first; the rest wait
     * for the next. A look is a DescribeExecution and at most a few writes, so a sweep of four full
     * statuses stays well inside its function's two minutes.
     */
    static final int PER_STATUS = 100;

    private static final List<String> WAITING =
            List.of(Batch.Status.VALIDATING, Batch.Status.CANCELLING, Batch.Status.FINALIZING);

    /**
     * The sweeper's bounds.
     *
     * @param grace   how long a batch may stand {@code validating}, {@code cancelling} or
     *                {@code finalizing} before its run is looked at (default 5 minutes)
     * @param stall   how long a running batch may go without a line ending before it counts as
     *                stalled (default 24 hours); shorter than {@link #QUEUE_RETENTION}, since after
     *                that long every message of the batch is gone for sure and waiting longer only hangs it
     * @param maxRuns how many runs a batch may have in all before it is ended {@code failed} (default 5)
     */
    public record Bounds(Duration grace, Duration stall, int maxRuns) {

        public static final Bounds DEFAULT = new Bounds(Duration.ofMinutes(5), Duration.ofHours(24), 5);

        public Bounds {
            if (grace.isNegative() || stall.compareTo(grace) <= 0) {
                throw new IllegalArgumentException("the stall bound (" + stall + ") must be longer than the grace"
                        + " period (" + grace + "), and neither negative");
            }
            if (stall.compareTo(QUEUE_RETENTION) >= 0) {
                throw new IllegalArgumentException("the stall bound (" + stall + ") must be shorter than the chunk"
                        + " queue's retention (" + QUEUE_RETENTION + ")");
            }
            if (maxRuns < 3) {
                throw new IllegalArgumentException("a batch needs at least 3 runs (its own, a resend, and the one"
                        + " that expires it), not " + maxRuns);
            }
        }
    }

    /**
     * What one sweep did.
     *
     * @param looked     batches found due
     * @param progressed running batches that had ended lines since the last look: left going
     * @param started    runs started that had never been (the crash before StartExecution)
     * @param resent     new runs started after a run ended or stalled
     * @param expired    {@code unlimited} batches given an {@code expires_at} on their second stall
     * @param failed     batches ended {@code failed}, out of runs or stalls
     * @param filesRemoved files past their {@code expires_at} removed, record and bytes
     */
    public record Report(
            int looked, int progressed, int started, int resent, int expired, int failed, int filesRemoved) {

        public Report(int looked, int progressed, int started, int resent, int expired, int failed) {
            this(looked, progressed, started, resent, expired, failed, 0);
        }
    }

    /** Removes files past their {@code expires_at}, at most a given number per sweep: answers how many. */
    @FunctionalInterface
    public interface FileRemoval {
        int removeExpired(int limit);

        FileRemoval NONE = limit -> 0;
    }

    private final FileRemoval files;
    private final SweepIndex index;
    private final BatchRuns runs;
    private final FinalizeBatch finalize;
    private final Bounds bounds;
    private final Clock clock;

    public Sweep(SweepIndex index, BatchRuns runs, FinalizeBatch finalize, Bounds bounds, Clock clock) {
        this(index, runs, finalize, bounds, clock, FileRemoval.NONE);
    }

    /** A sweeper that also removes files past their {@code expires_at} ({@link #PER_STATUS} per sweep). */
    public Sweep(
            SweepIndex index, BatchRuns runs, FinalizeBatch finalize, Bounds bounds, Clock clock, FileRemoval files) {
        this.files = files;
        this.index = index;
        this.runs = runs;
        this.finalize = finalize;
        this.bounds = bounds;
        this.clock = clock;
    }

    public Report run() {
        Tally tally = new Tally();
        long now = clock.instant().getEpochSecond();
        for (String status : WAITING) {
            index.due(status, now - bounds.grace().toSeconds(), PER_STATUS).forEach(entry -> look(entry, now, tally));
        }
        // A batch in progress is due once a stall bound has passed since it last showed progress.
        index.due(Batch.Status.IN_PROGRESS, now - bounds.stall().toSeconds(), PER_STATUS)
                .forEach(entry -> look(entry, now, tally));
        tally.filesRemoved = files.removeExpired(PER_STATUS);
        return tally.report();
    }

    private void look(SweepIndex.Entry entry, long now, Tally tally) {
        tally.looked++;
        Batch batch = entry.batch();
        long ended = batch.requestCounts().completed() + batch.requestCounts().failed();
        if (ended != entry.seen()) {
            if (index.mark(entry, new SweepIndex.Mark(now, ended, entry.run(), 0, null))) {
                tally.progressed++;
            }
            return;
        }
        if (entry.run() >= bounds.maxRuns()) {
            // A sweeper marked it for ending and stopped before it could.
            fail(entry, "it could not be brought to an end", tally);
            return;
        }
        switch (runs.state(batch.id(), entry.run())) {
            case ABSENT -> {
                if (index.mark(entry, new SweepIndex.Mark(now, ended, entry.run(), entry.stalls(), null))) {
                    if (entry.run() > 0) {
                        runs.stop(batch.id(), entry.run() - 1);
                    }
                    runs.start(entry.tenant(), batch.id(), entry.run());
                    tally.started++;
                }
            }
            case RUNNING -> {
                if (now - entry.since() >= bounds.stall().toSeconds()) {
                    again(entry, now, true, tally);
                }
            }
            case ENDED -> again(entry, now, false, tally);
        }
    }

    /** Starts the batch's next run, after its current one ended or stalled; or ends it, out of runs or stalls. */
    private void again(SweepIndex.Entry entry, long now, boolean stalled, Tally tally) {
        Batch batch = entry.batch();
        int next = entry.run() + 1;
        int stalls = stalled ? entry.stalls() + 1 : entry.stalls();
        boolean expire = stalled
                && stalls == 2
                && batch.expiresAt() == null
                && !batch.status().equals(Batch.Status.CANCELLING);
        boolean last = next >= bounds.maxRuns() || stalls >= 3;
        // A batch to be ended is marked past its last run, so that a sweeper stopped before ending it
        // ends it next time rather than starting another run.
        if (!index.mark(
                entry,
                new SweepIndex.Mark(now, entry.seen(), last ? bounds.maxRuns() : next, stalls, expire ? now : null))) {
            return;
        }
        if (last) {
            fail(
                    entry,
                    stalls >= 3
                            ? "no line of it ended in " + words(bounds.stall().multipliedBy(stalls))
                            : "it had " + bounds.maxRuns() + " runs that ended without ending it",
                    tally);
            return;
        }
        runs.stop(batch.id(), entry.run());
        runs.start(entry.tenant(), batch.id(), next);
        tally.resent++;
        if (expire) {
            tally.expired++;
        }
    }

    /** Ends the batch {@code failed}, as the state machine's Catch would, its runs stopped first. */
    private void fail(SweepIndex.Entry entry, String why, Tally tally) {
        for (int run = 0; run < Math.min(entry.run() + 1, bounds.maxRuns()); run++) {
            runs.stop(entry.batch().id(), run);
        }
        finalize.stalled(entry.tenant(), entry.batch().id(), why);
        tally.failed++;
    }

    private static String words(Duration duration) {
        long seconds = duration.toSeconds();
        return seconds % 3600 == 0
                ? seconds / 3600 + " hours"
                : seconds % 60 == 0 ? seconds / 60 + " minutes" : seconds + " seconds";
    }

    private static final class Tally {
        int looked;
        int progressed;
        int started;
        int resent;
        int expired;
        int failed;
        int filesRemoved;

        Report report() {
            return new Report(looked, progressed, started, resent, expired, failed, filesRemoved);
        }
    }
}
