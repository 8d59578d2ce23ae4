package dev.openbatch.core.pipeline;

import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.BatchRepository;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.files.FileContentStore;
import dev.openbatch.core.report.BatchReport;
import dev.openbatch.core.report.Calls;
import dev.openbatch.core.report.ChunkStats;
import dev.openbatch.core.report.Prices;
import dev.openbatch.core.report.Timeline;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /v1/batches/{batch_id}/report}: a batch's report. While the batch runs, made on each
 * request from the stats each whole part's counts carry and, for each chunk still running, from
 * what its checkpoint log holds so far (each line counted once, by the log's rule); once the batch
 * has ended, the report the finalizer wrote beside its intermediate objects, byte for byte.
 */
public final class BatchReports {

    /**
     * The memory of the validator and the finalizer, whose time the report prices, in MB, as the
     * deployment configures them (a worker's run names its own).
     */
    public record Memory(int validatorMb, int finalizerMb) {
        public static final Memory DEFAULT = new Memory(1024, 1024);
    }

    /** At most this many intervals in a report's timeline. */
    static final int MAX_INTERVALS = 120;

    /**
     * The requests the validator and the finalizer make, which they do not count as a run does: the
     * validator reads the batch, its input, and writes each chunk and the cut; the finalizer reads each
     * part's counts and sizes, streams both sides of each, and writes both files, the record and the report.
     */
    static Calls validatorCalls(long chunks) {
        return new Calls(2, chunks + 1, 2, 2);
    }

    static Calls finalizerCalls(long chunks) {
        return new Calls(5 * chunks, 3, 3 + chunks, 6);
    }

    private final BatchRepository batches;
    private final FileContentStore content;
    private final ChunkStore chunks;
    private final Clock clock;
    private final Memory memory;

    public BatchReports(BatchRepository batches, FileContentStore content, ChunkStore chunks, Clock clock) {
        this(batches, content, chunks, clock, Memory.DEFAULT);
    }

    public BatchReports(
            BatchRepository batches, FileContentStore content, ChunkStore chunks, Clock clock, Memory memory) {
        this.batches = batches;
        this.content = content;
        this.chunks = chunks;
        this.clock = clock;
        this.memory = memory;
    }

    /** Where an ended batch's report is kept: beside its intermediate objects. */
    static String key(String batchId) {
        return "batches/" + batchId + "/report.json";
    }

    /** The report of the caller's batch, as JSON. */
    public byte[] report(String tenant, String batchId) {
        Batch batch = batches.find(tenant, batchId).orElseThrow(() -> Batches.noSuchBatch(batchId));
        if (Batch.Status.ENDED.contains(batch.status())) {
            try (InputStream written = content.open(key(batch.id()))) {
                return written.readAllBytes();
            } catch (FileContentStore.NoSuchKey e) {
                // Ended before the finalizer wrote a report (or it has expired): made from what remains.
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Json.write(make(batch, batch.status(), endedAt(batch), null));
    }

    /**
     * Writes the report of a batch the finalizer is ending {@code status} at {@code endedAt} (null: as its
     * record says), the finalizer having taken {@code finalizerMillis} so far.
     */
    void write(String tenant, String batchId, String status, Long endedAt, long finalizerMillis) {
        Batch batch = batches.find(tenant, batchId).orElseThrow(() -> Batches.noSuchBatch(batchId));
        content.put(
                key(batch.id()),
                Json.write(make(batch, status, endedAt != null ? endedAt : endedAt(batch), finalizerMillis)),
                "application/json");
    }

    /** The stats of every chunk, summed: a whole part's, else those of its log so far. */
    private ChunkStats stats(String batchId) {
        ChunkStats sum = ChunkStats.EMPTY;
        int count = chunks.chunkCount(batchId);
        for (int index = 0; index < count; index++) {
            PartCounts counts = chunks.partCounts(batchId, index).orElse(null);
            ChunkStats chunk = counts == null
                    ? ChunkLog.statsSoFar(chunks, batchId, index)
                    : counts.stats() != null ? counts.stats() : ChunkStats.counts(counts.completed(), counts.failed());
            sum = sum.plus(chunk);
        }
        return sum;
    }

    private BatchReport make(Batch batch, String status, Long endedAt, Long finalizerMillis) {
        long nowMillis = clock.millis();
        boolean ended = Batch.Status.ENDED.contains(status);
        int chunkCount = batch.status().equals(Batch.Status.VALIDATING) ? 0 : chunks.chunkCount(batch.id());
        ChunkStats stats = chunkCount == 0 ? ChunkStats.EMPTY : stats(batch.id());
        Batch.RequestCounts counts = ended
                ? batch.requestCounts()
                : new Batch.RequestCounts(batch.requestCounts().total(), stats.completed(), stats.failed());
        BatchReport.Phases phases = phases(batch, stats, endedAt, nowMillis);
        double finalizerSeconds = finalizerMillis != null
                ? finalizerMillis / 1000.0
                : phases.finalizingSeconds() == null ? 0 : phases.finalizingSeconds();
        return new BatchReport(
                BatchReport.OBJECT,
                batch.id(),
                status,
                nowMillis / 1000,
                counts,
                stats.usage().stream()
                        .map(u -> new BatchReport.ModelUsage(
                                u.model(),
                                u.requests(),
                                u.usage().inputTokens(),
                                u.usage().outputTokens(),
                                u.usage().totalTokens()))
                        .toList(),
                new BatchReport.Latency(
                        stats.latency().count(),
                        stats.latency().percentile(0.50),
                        stats.latency().percentile(0.90),
                        stats.latency().percentile(0.99),
                        stats.latency().maxMs()),
                new BatchReport.Attempts(new TreeMap<>(stats.attempts()), retries(stats.retries())),
                stats.errors(),
                timeline(batch.createdAt(), endedAt != null ? endedAt : nowMillis / 1000, stats.timeline()),
                phases,
                cost(chunkCount, stats, phases, finalizerSeconds, ended));
    }

    private static Map<String, Long> retries(Map<String, Long> retries) {
        Map<String, Long> all = new TreeMap<>(retries);
        all.putIfAbsent(LineTrace.TIMEOUT, 0L);
        all.putIfAbsent(LineTrace.CONNECTION, 0L);
        return all;
    }

    private static Long endedAt(Batch batch) {
        for (Long at : new Long[] {batch.completedAt(), batch.failedAt(), batch.expiredAt(), batch.cancelledAt()}) {
            if (at != null) {
                return at;
            }
        }
        return null;
    }

    /**
     * The timeline from the batch's creation to its end (or now), in as few power-of-two-second
     * intervals as keep it to {@link #MAX_INTERVALS}, no shorter than its chunks kept.
     */
    static BatchReport.Timeline timeline(long from, long to, Timeline lines) {
        long interval = Math.max(1, lines.intervalSeconds());
        long first = Math.floorDiv(from, interval) * interval;
        while ((Math.max(to, from) - first) / interval + 1 > MAX_INTERVALS) {
            interval *= 2;
            first = Math.floorDiv(from, interval) * interval;
        }
        Timeline coarse = lines.at(interval);
        List<BatchReport.Interval> intervals = new ArrayList<>();
        long inFlight = 0;
        // Lines ended before the first interval (a clock apart) count in it, so none is lost.
        for (Map.Entry<Long, Timeline.Point> early :
                new TreeMap<>(coarse.points()).headMap(first).entrySet()) {
            inFlight += early.getValue().started()
                    - early.getValue().completed()
                    - early.getValue().failed();
        }
        long last = Math.max(first, Math.floorDiv(Math.max(to, from), interval) * interval);
        for (long at = first; at <= last; at += interval) {
            Timeline.Point point = coarse.points().getOrDefault(at, new Timeline.Point(0, 0, 0));
            inFlight += point.started() - point.completed() - point.failed();
            intervals.add(new BatchReport.Interval(at, point.completed(), point.failed(), Math.max(0, inFlight)));
        }
        return new BatchReport.Timeline(first, interval, intervals);
    }

    private static BatchReport.Phases phases(Batch batch, ChunkStats stats, Long endedAt, long nowMillis) {
        double now = nowMillis / 1000.0;
        double validated = batch.inProgressAt() != null ? batch.inProgressAt() : endedAt != null ? endedAt : now;
        Double validating = seconds(validated - batch.createdAt());
        Double first = stats.firstStarted() == null ? null : stats.firstStarted() / 1000.0;
        Double last = stats.lastEnded() == null ? null : stats.lastEnded() / 1000.0;
        Double waiting = batch.inProgressAt() == null
                ? null
                : seconds((first != null ? first : endedAt != null ? endedAt : now) - batch.inProgressAt());
        boolean running = endedAt == null && batch.finalizingAt() == null;
        Double runningSeconds = first == null ? null : seconds((running ? now : last) - first);
        Double finalizing = last == null || running ? null : seconds((endedAt != null ? endedAt : now) - last);
        return new BatchReport.Phases(validating, waiting, runningSeconds, finalizing);
    }

    /** Seconds to a tenth, never below zero: the batch's timestamps are whole seconds, the lines' milliseconds. */
    private static double seconds(double seconds) {
        return Math.max(0, Math.round(seconds * 10) / 10.0);
    }

    private BatchReport.Cost cost(
            int chunkCount, ChunkStats stats, BatchReport.Phases phases, double finalizerSeconds, boolean ended) {
        Calls calls = stats.calls().plus(chunkCount > 0 ? validatorCalls(chunkCount) : Calls.NONE);
        if (ended) {
            calls = calls.plus(finalizerCalls(chunkCount));
        }
        long invocations = stats.runs() + 1 + (ended ? 1 : 0);
        double validatorSeconds = phases.validatingSeconds() == null ? 0 : phases.validatingSeconds();
        double gbSeconds = stats.workerGbSeconds()
                + validatorSeconds * memory.validatorMb() / 1024.0
                + finalizerSeconds * memory.finalizerMb() / 1024.0;
        long sqs = chunkCount + stats.runs() + chunkCount;
        List<BatchReport.Item> items = List.of(
                item("Step Functions state transitions", Prices.stateTransitions(chunkCount), Prices.STATE_TRANSITION),
                item("Lambda requests", invocations, Prices.LAMBDA_REQUEST),
                item("Lambda GB-seconds", Math.round(gbSeconds * 1000) / 1000.0, Prices.LAMBDA_GB_SECOND),
                item("SQS requests", sqs, Prices.SQS_REQUEST),
                item("DynamoDB reads", calls.dynamodbReads(), Prices.DYNAMODB_READ),
                item("DynamoDB writes", calls.dynamodbWrites(), Prices.DYNAMODB_WRITE),
                item("S3 reads (GET, HEAD)", calls.s3Reads(), Prices.S3_READ),
                item("S3 writes (PUT)", calls.s3Writes(), Prices.S3_WRITE));
        double total = items.stream().mapToDouble(BatchReport.Item::usd).sum();
        return new BatchReport.Cost(
                "USD", Prices.DESCRIPTION, items, usd(total), Math.round(stats.gpuMillis() / 100.0) / 10.0);
    }

    private static BatchReport.Item item(String name, double quantity, double price) {
        return new BatchReport.Item(name, quantity, usd(quantity * price));
    }

    /** Dollars to a hundred-millionth: a small batch's items are fractions of a cent. */
    private static double usd(double usd) {
        return Math.round(usd * 1e8) / 1e8;
    }
}
