package dev.openbatch.core.fakes;

import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.BatchRepository;
import dev.openbatch.core.pipeline.PartCounts;
import dev.openbatch.core.pipeline.SweepIndex;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Batch records in memory, keeping the sweep index as DynamoDbBatchRepository does. */
public final class InMemoryBatchRepository implements BatchRepository, SweepIndex {

    private final InMemoryRecords<Batch> records = new InMemoryRecords<>(Batch::id);
    private final Set<String> countedChunks = new HashSet<>();
    /** The sweep index, by batch id: present while the batch has not ended. */
    private final Map<String, Swept> swept = new HashMap<>();

    private record Swept(String tenant, String status, long since, long seen, int run, int stalls) {}

    @Override
    public synchronized void create(String tenant, Batch batch) {
        records.create(tenant, batch);
        if (!Batch.Status.ENDED.contains(batch.status())) {
            swept.put(batch.id(), new Swept(tenant, batch.status(), batch.createdAt(), 0, 0, 0));
        }
    }

    @Override
    public Optional<Batch> find(String tenant, String id) {
        return records.find(tenant, id);
    }

    @Override
    public Page<Batch> list(String tenant, PageRequest page) {
        return records.list(tenant, page, b -> true);
    }

    @Override
    public synchronized Optional<Batch> transition(
            String tenant,
            String id,
            Set<String> from,
            String to,
            Map<String, Long> timestamps,
            Long total,
            List<Batch.Error> errors) {
        Optional<Batch> found = find(tenant, id).filter(b -> from.contains(b.status()));
        found.ifPresent(b -> records.replace(
                id,
                new Batch(
                        b.id(),
                        b.object(),
                        b.endpoint(),
                        b.model(),
                        errors == null ? b.errors() : Batch.Errors.of(errors),
                        b.inputFileId(),
                        b.completionWindow(),
                        to,
                        b.outputFileId(),
                        b.errorFileId(),
                        b.createdAt(),
                        timestamps.getOrDefault("in_progress_at", b.inProgressAt()),
                        b.expiresAt(),
                        timestamps.getOrDefault("finalizing_at", b.finalizingAt()),
                        timestamps.getOrDefault("completed_at", b.completedAt()),
                        timestamps.getOrDefault("failed_at", b.failedAt()),
                        timestamps.getOrDefault("expired_at", b.expiredAt()),
                        timestamps.getOrDefault("cancelling_at", b.cancellingAt()),
                        timestamps.getOrDefault("cancelled_at", b.cancelledAt()),
                        total == null
                                ? b.requestCounts()
                                : new Batch.RequestCounts(
                                        total,
                                        b.requestCounts().completed(),
                                        b.requestCounts().failed()),
                        // As the table has it: usage shows from in_progress on.
                        b.usage() == null && timestamps.containsKey("in_progress_at") ? Batch.Usage.ZERO : b.usage(),
                        b.metadata(),
                        b.jobId(),
                        b.outputExpiresAfter())));
        found.ifPresent(b -> {
            Swept was = swept.get(id);
            if (Batch.Status.ENDED.contains(to)) {
                swept.remove(id);
            } else if (was != null) {
                long since = timestamps.values().stream()
                        .max(Comparator.naturalOrder())
                        .orElse(was.since());
                swept.put(id, new Swept(tenant, to, since, was.seen(), was.run(), was.stalls()));
            }
        });
        return found.flatMap(b -> find(tenant, id));
    }

    @Override
    public synchronized List<Entry> due(String status, long sinceAtMost, int limit) {
        List<Entry> due = new ArrayList<>();
        swept.forEach((id, s) -> {
            if (s.status().equals(status) && s.since() <= sinceAtMost) {
                due.add(new Entry(
                        s.tenant(), find(s.tenant(), id).orElseThrow(), s.since(), s.seen(), s.run(), s.stalls()));
            }
        });
        due.sort(Comparator.comparingLong(Entry::since));
        return Collections.unmodifiableList(due.subList(0, Math.min(limit, due.size())));
    }

    @Override
    public synchronized boolean mark(Entry entry, Mark mark) {
        Swept s = swept.get(entry.batch().id());
        if (s == null
                || !s.status().equals(entry.batch().status())
                || s.since() != entry.since()
                || s.run() != entry.run()) {
            return false;
        }
        swept.put(
                entry.batch().id(),
                new Swept(s.tenant(), s.status(), mark.since(), mark.seen(), mark.run(), mark.stalls()));
        if (mark.expiresAt() != null) {
            Batch b = find(s.tenant(), entry.batch().id()).orElseThrow();
            records.replace(
                    b.id(),
                    new Batch(
                            b.id(),
                            b.object(),
                            b.endpoint(),
                            b.model(),
                            b.errors(),
                            b.inputFileId(),
                            b.completionWindow(),
                            b.status(),
                            b.outputFileId(),
                            b.errorFileId(),
                            b.createdAt(),
                            b.inProgressAt(),
                            mark.expiresAt(),
                            b.finalizingAt(),
                            b.completedAt(),
                            b.failedAt(),
                            b.expiredAt(),
                            b.cancellingAt(),
                            b.cancelledAt(),
                            b.requestCounts(),
                            b.usage(),
                            b.metadata(),
                            b.jobId(),
                            b.outputExpiresAfter()));
        }
        return true;
    }

    /** The batch's place in the sweep index, if it has one: its run, stalls and since. */
    public synchronized Optional<Entry> swept(String id) {
        Swept s = swept.get(id);
        return s == null
                ? Optional.empty()
                : Optional.of(new Entry(
                        s.tenant(), find(s.tenant(), id).orElseThrow(), s.since(), s.seen(), s.run(), s.stalls()));
    }

    @Override
    public synchronized boolean countChunk(String tenant, String id, int chunk, PartCounts counts) {
        if (!countedChunks.add(id + "#" + chunk)) {
            return false;
        }
        Batch b = find(tenant, id).orElseThrow();
        Batch counted = withCounts(
                b,
                b.outputFileId(),
                b.errorFileId(),
                new Batch.RequestCounts(
                        b.requestCounts().total(),
                        b.requestCounts().completed() + counts.completed(),
                        b.requestCounts().failed() + counts.failed()));
        records.replace(
                id, withUsage(counted, (b.usage() == null ? Batch.Usage.ZERO : b.usage()).plus(counts.usage())));
        return true;
    }

    @Override
    public synchronized void recordModel(String tenant, String id, String model) {
        Batch b = find(tenant, id).orElseThrow();
        records.replace(
                id,
                new Batch(
                        b.id(),
                        b.object(),
                        b.endpoint(),
                        model,
                        b.errors(),
                        b.inputFileId(),
                        b.completionWindow(),
                        b.status(),
                        b.outputFileId(),
                        b.errorFileId(),
                        b.createdAt(),
                        b.inProgressAt(),
                        b.expiresAt(),
                        b.finalizingAt(),
                        b.completedAt(),
                        b.failedAt(),
                        b.expiredAt(),
                        b.cancellingAt(),
                        b.cancelledAt(),
                        b.requestCounts(),
                        b.usage(),
                        b.metadata(),
                        b.jobId(),
                        b.outputExpiresAfter()));
    }

    private static Batch withUsage(Batch b, Batch.Usage usage) {
        return new Batch(
                b.id(),
                b.object(),
                b.endpoint(),
                b.model(),
                b.errors(),
                b.inputFileId(),
                b.completionWindow(),
                b.status(),
                b.outputFileId(),
                b.errorFileId(),
                b.createdAt(),
                b.inProgressAt(),
                b.expiresAt(),
                b.finalizingAt(),
                b.completedAt(),
                b.failedAt(),
                b.expiredAt(),
                b.cancellingAt(),
                b.cancelledAt(),
                b.requestCounts(),
                usage,
                b.metadata(),
                b.jobId(),
                b.outputExpiresAfter());
    }

    @Override
    public synchronized String reserveFileId(String tenant, String id, String field, String candidate) {
        Batch b = find(tenant, id).orElseThrow();
        boolean output = field.equals("output_file_id");
        String existing = output ? b.outputFileId() : b.errorFileId();
        if (existing != null) {
            return existing;
        }
        records.replace(
                id,
                withCounts(
                        b,
                        output ? candidate : b.outputFileId(),
                        output ? b.errorFileId() : candidate,
                        b.requestCounts()));
        return candidate;
    }

    private static Batch withCounts(Batch b, String outputFileId, String errorFileId, Batch.RequestCounts counts) {
        return new Batch(
                b.id(),
                b.object(),
                b.endpoint(),
                b.model(),
                b.errors(),
                b.inputFileId(),
                b.completionWindow(),
                b.status(),
                outputFileId,
                errorFileId,
                b.createdAt(),
                b.inProgressAt(),
                b.expiresAt(),
                b.finalizingAt(),
                b.completedAt(),
                b.failedAt(),
                b.expiredAt(),
                b.cancellingAt(),
                b.cancelledAt(),
                counts,
                b.usage(),
                b.metadata(),
                b.jobId(),
                b.outputExpiresAfter());
    }

    public int size() {
        return records.size();
    }
}
