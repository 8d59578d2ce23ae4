package dev.openbatch.core.fakes;

import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.files.ExpiredFiles;
import dev.openbatch.core.files.FileRepository;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** File records in memory, with the index of expiring files as DynamoDbFileRepository keeps it. */
public final class InMemoryFileRepository implements FileRepository, ExpiredFiles {

    private final InMemoryRecords<FileObject> records = new InMemoryRecords<>(FileObject::id);
    public RuntimeException failCreateWith;

    @Override
    public void create(String tenant, FileObject file) {
        if (failCreateWith != null) {
            throw failCreateWith;
        }
        records.create(tenant, file);
    }

    @Override
    public Optional<FileObject> find(String tenant, String id) {
        return records.find(tenant, id);
    }

    @Override
    public Page<FileObject> list(String tenant, String purpose, PageRequest page) {
        return records.list(tenant, page, f -> purpose == null || f.purpose().equals(purpose));
    }

    @Override
    public boolean delete(String tenant, String id) {
        return records.delete(tenant, id);
    }

    @Override
    public List<Expired> due(long now, int limit) {
        return records.all().stream()
                .filter(entry -> entry.getValue().expiredBy(now))
                .sorted(Comparator.comparingLong(entry -> entry.getValue().expiresAt()))
                .limit(limit)
                .map(entry -> new Expired(entry.getKey(), entry.getValue().id()))
                .toList();
    }

    public int size() {
        return records.size();
    }
}
