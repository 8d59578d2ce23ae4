package dev.openbatch.core.pipeline;

import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.BatchRepository;
import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A worker's use case: runs one chunk of a batch, as far as the worker's lifetime allows, and once
 * every line has ended writes its part and counts it. What a run ends goes into the chunk's
 * checkpoint log (see {@link ChunkLog}) every little while and before the worker's deadline, so the
 * next run of the chunk goes on from there and never sends an ended line again; two runs at once
 * (a duplicate delivery, the dead-letter consumer racing a slow worker) put each line in the log
 * once, the first writer's end winning. A chunk whose part is already whole is not run again, and
 * a counted chunk is not counted again. A chunk that could not be run at all is
 * {@linkplain #abandon abandoned}: its remaining lines end as errors, once.
 */
public final class RunChunk {

    private static final System.Logger LOG = System.getLogger(RunChunk.class.getName());

    static final OutputLine.Error CANCELLED =
            new OutputLine.Error("batch_cancelled", "This request was not executed because the batch was cancelled.");
    static final OutputLine.Error EXPIRED = new OutputLine.Error(
            "batch_expired", "This request could not be executed before the completion window expired.");
    static final OutputLine.Error CHUNK_FAILED = new OutputLine.Error(
            "chunk_failed",
            "This request could not be executed: the worker running its part of the batch failed on every attempt.");

    /** How often a running chunk looks again at whether its batch was cancelled. */
    private static final Duration STATUS_REFRESH = Duration.ofSeconds(1);
    /**
     * How often a run appends what it has ended to the chunk's log, besides before its deadline: the
     * most a crash (a sandbox killed outright) costs beyond the lines in flight. Each append is one
     * small S3 PUT per chunk, whatever the chunk's concurrency.
     */
    public static final Duration CHECKPOINT_EVERY = Duration.ofSeconds(10);
    /** A worker's memory where none is given: the deployment's default. */
    public static final int MEMORY_MB = 1024;

    /**
     * How far a run got.
     *
     * @param counts  the chunk's counts, once its part is whole; null while lines remain
     * @param ended   how many lines this run ended
     * @param left    how many lines remain for a later run
     * @param hadTime whether the run had time to send anything at all
     */
    public record Outcome(PartCounts counts, int ended, int left, boolean hadTime) {

        public boolean finished() {
            return counts != null;
        }

        /**
         * Whether a later run should go on from here: this one ended lines, or had no time to try.
         * A run that had time and ended nothing is a failure, counted as one by the queue.
         */
        public boolean progressed() {
            return finished() || ended > 0 || !hadTime;
        }
    }

    private final BatchRepository batches;
    private final ChunkStore store;
    private final JobCatalog jobs;
    private final ChunkRunner runner;
    private final Clock clock;
    private final Duration checkpointEvery;
    private final PartWritten partWritten;
    private final int memoryMb;

    public RunChunk(BatchRepository batches, ChunkStore store, JobCatalog jobs, ChunkRunner runner, Clock clock) {
        this(batches, store, jobs, runner, clock, CHECKPOINT_EVERY);
    }

    public RunChunk(
            BatchRepository batches,
            ChunkStore store,
            JobCatalog jobs,
            ChunkRunner runner,
            Clock clock,
            Duration checkpointEvery) {
        this(batches, store, jobs, runner, clock, checkpointEvery, PartWritten.NOTHING);
    }

    public RunChunk(
            BatchRepository batches,
            ChunkStore store,
            JobCatalog jobs,
            ChunkRunner runner,
            Clock clock,
            Duration checkpointEvery,
            PartWritten partWritten) {
        this(batches, store, jobs, runner, clock, checkpointEvery, partWritten, MEMORY_MB);
    }

    /** @param memoryMb the memory of the worker it runs in, which its runs' time in the batch's report is priced by */
    public RunChunk(
            BatchRepository batches,
            ChunkStore store,
            JobCatalog jobs,
            ChunkRunner runner,
            Clock clock,
            Duration checkpointEvery,
            PartWritten partWritten,
            int memoryMb) {
        this.memoryMb = memoryMb;
        this.batches = batches;
        this.store = store;
        this.jobs = jobs;
        this.runner = runner;
        this.clock = clock;
        this.checkpointEvery = checkpointEvery;
        this.partWritten = partWritten;
    }

    /** Runs the chunk to its end, with no deadline. */
    public PartCounts run(String tenant, String batchId, Chunk chunk) throws InterruptedException {
        return run(tenant, batchId, chunk, Deadline.NONE).counts();
    }

    /**
     * Runs what remains of the chunk until it has all ended or the deadline draws near, keeping what
     * ended in the chunk's log; counts the chunk once its part is whole.
     */
    public Outcome run(String tenant, String batchId, Chunk chunk, Deadline deadline) throws InterruptedException {
        return run(tenant, batchId, chunk, 1, deadline);
    }

    /**
     * As {@link #run(String, String, Chunk, Deadline)}, for a chunk the Map started with up to
     * {@code chunksAtOnce} of its batch's chunks at once: their shares of the job's capacity are
     * even from the start.
     */
    public Outcome run(String tenant, String batchId, Chunk chunk, int chunksAtOnce, Deadline deadline)
            throws InterruptedException {
        // This run's S3 and DynamoDB requests are counted into the segments it writes, for the batch's report.
        RunMeter meter = new RunMeter(clock.millis(), memoryMb);
        ChunkStore store = new CountedChunkStore(this.store, meter);
        Optional<PartCounts> whole = store.partCounts(batchId, chunk.index());
        if (whole.isPresent()) {
            return new Outcome(counted(tenant, batchId, chunk, whole.get()), 0, 0, true);
        }
        ChunkLog log = ChunkLog.read(store, batchId, chunk, meter, clock);
        int ended = 0;
        boolean hadTime = true;
        if (!log.whole()) {
            List<RequestLine> rest = ChunkLog.requests(store, batchId, chunk.index(), chunk.firstRequest()).stream()
                    .filter(line -> !log.hasEnded(line))
                    .toList();
            Lifetime lifetime = Lifetime.of(deadline);
            hadTime = lifetime.maySend();
            Batch batch = batch(tenant, batchId);
            ChunkLog.Checkpoints checkpoints = log.checkpoints(rest, checkpointEvery, batch.expiresAt());
            meter.dynamodbReads.incrementAndGet();
            ended = runner.run(
                    batchId, job(batch), rest, chunksAtOnce, new Gate(tenant, batch, meter), lifetime, checkpoints);
            checkpoints.flush();
        }
        if (!log.whole()) {
            return new Outcome(null, ended, chunk.lines() - log.covered(), hadTime);
        }
        meter.dynamodbWrites.incrementAndGet(); // the chunk's count, next
        PartCounts counts = counted(tenant, batchId, chunk, log.writePart());
        tellPartWritten(tenant, batchId, chunk);
        return new Outcome(counts, ended, 0, hadTime);
    }

    private void tellPartWritten(String tenant, String batchId, Chunk chunk) {
        try {
            partWritten.written(tenant, batchId, chunk.index());
        } catch (RuntimeException e) {
            // The part stands and is counted; only a view of the results as they grow is late.
            LOG.log(
                    System.Logger.Level.WARNING,
                    "chunk " + chunk.index() + " of " + batchId + ": telling of its part failed",
                    e);
        }
    }

    /**
     * Ends a chunk that could not be run — its message reached the dead-letter queue after the
     * queue's last delivery — with every line its runs did not end in the error file as
     * {@code chunk_failed}, and counts it. A part written whole after all (the last attempt got that
     * far) stands as it is.
     */
    public PartCounts abandon(String tenant, String batchId, Chunk chunk) {
        PartCounts counts = store.partCounts(batchId, chunk.index()).orElseGet(() -> {
            ChunkLog log = ChunkLog.read(store, batchId, chunk, null, clock);
            log.endRest(ChunkLog.requests(store, batchId, chunk.index(), chunk.firstRequest()), CHUNK_FAILED);
            return log.writePart();
        });
        return counted(tenant, batchId, chunk, counts);
    }

    /** Adds a whole part's counts to the batch's, unless this chunk was counted before. */
    private PartCounts counted(String tenant, String batchId, Chunk chunk, PartCounts counts) {
        batches.countChunk(tenant, batchId, chunk.index(), counts);
        return counts;
    }

    private Job job(Batch batch) {
        return jobs.find(batch.jobId())
                .orElseThrow(() -> new IllegalStateException("batch " + batch.id() + " names job " + batch.jobId()
                        + ", which this deployment no longer has"));
    }

    private Batch batch(String tenant, String batchId) {
        return batches.find(tenant, batchId)
                .orElseThrow(() -> new IllegalStateException("no batch " + batchId + " of " + tenant));
    }

    /** Refuses further lines once the batch is cancelled or its window has passed. */
    private final class Gate implements ChunkRunner.LineGate {
        private final String tenant;
        private final String batchId;
        private final Long expiresAt;
        private final RunMeter meter;
        private volatile String status;
        private volatile Instant checkedAt;

        Gate(String tenant, Batch batch, RunMeter meter) {
            this.tenant = tenant;
            this.meter = meter;
            this.batchId = batch.id();
            this.expiresAt = batch.expiresAt();
            this.status = batch.status();
            this.checkedAt = clock.instant();
        }

        @Override
        public Optional<OutputLine.Error> refusal() {
            Instant now = clock.instant();
            if (expiresAt != null && now.getEpochSecond() >= expiresAt) {
                return Optional.of(EXPIRED);
            }
            if (now.isAfter(checkedAt.plus(STATUS_REFRESH))) {
                checkedAt = now;
                meter.dynamodbReads.incrementAndGet();
                batches.find(tenant, batchId).ifPresent(b -> status = b.status());
            }
            boolean cancelled = status.equals(Batch.Status.CANCELLING) || status.equals(Batch.Status.CANCELLED);
            return cancelled ? Optional.of(CANCELLED) : Optional.empty();
        }
    }
}
