package dev.openbatch.core.fakes;

import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.BatchRepository;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

public final class InMemoryBatchRepository implements BatchRepository {

    private final InMemoryRecords<Batch> records = new InMemoryRecords<>(Batch::id);
    private final Set<String> countedChunks = new HashSet<>();

    @Override
    public void create(String tenant, Batch batch) {
        records.create(tenant, batch);
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
    public synchronized Optional<Batch> transition(String tenant, String id, Set<String> from, String to,
                                                   Map<String, Long> timestamps, Long total, List<Batch.Error> errors) {
        Optional<Batch> found = find(tenant, id).filter(b -> from.contains(b.status()));
        found.ifPresent(b -> records.replace(id, new Batch(b.id(), b.object(), b.endpoint(), b.model(),
                errors == null ? b.errors() : Batch.Errors.of(errors), b.inputFileId(), b.completionWindow(), to,
                b.outputFileId(), b.errorFileId(), b.createdAt(),
                timestamps.getOrDefault("in_progress_at", b.inProgressAt()), b.expiresAt(),
                timestamps.getOrDefault("finalizing_at", b.finalizingAt()),
                timestamps.getOrDefault("completed_at", b.completedAt()),
                timestamps.getOrDefault("failed_at", b.failedAt()),
                timestamps.getOrDefault("expired_at", b.expiredAt()),
                timestamps.getOrDefault("cancelling_at", b.cancellingAt()),
                timestamps.getOrDefault("cancelled_at", b.cancelledAt()),
                total == null ? b.requestCounts()
                        : new Batch.RequestCounts(total, b.requestCounts().completed(), b.requestCounts().failed()),
                b.usage(), b.metadata(), b.jobId())));
        return found.flatMap(b -> find(tenant, id));
    }

    @Override
    public synchronized boolean countChunk(String tenant, String id, int chunk, long completed, long failed) {
        if (!countedChunks.add(id + "#" + chunk)) {
            return false;
        }
        Batch b = find(tenant, id).orElseThrow();
        records.replace(id, withCounts(b, b.outputFileId(), b.errorFileId(), new Batch.RequestCounts(
                b.requestCounts().total(), b.requestCounts().completed() + completed,
                b.requestCounts().failed() + failed)));
        return true;
    }

    @Override
    public synchronized String reserveFileId(String tenant, String id, String field, String candidate) {
        Batch b = find(tenant, id).orElseThrow();
        boolean output = field.equals("output_file_id");
        String existing = output ? b.outputFileId() : b.errorFileId();
        if (existing != null) {
            return existing;
        }
        records.replace(id, withCounts(b, output ? candidate : b.outputFileId(), output ? b.errorFileId() : candidate,
                b.requestCounts()));
        return candidate;
    }

    private static Batch withCounts(Batch b, String outputFileId, String errorFileId, Batch.RequestCounts counts) {
        return new Batch(b.id(), b.object(), b.endpoint(), b.model(), b.errors(), b.inputFileId(),
                b.completionWindow(), b.status(), outputFileId, errorFileId, b.createdAt(), b.inProgressAt(),
                b.expiresAt(), b.finalizingAt(), b.completedAt(), b.failedAt(), b.expiredAt(), b.cancellingAt(),
                b.cancelledAt(), counts, b.usage(), b.metadata(), b.jobId());
    }

    public int size() {
        return records.size();
    }
}
