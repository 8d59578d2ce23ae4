package dev.openbatch.core.fakes;

import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.files.FileRepository;
import java.util.Optional;

public final class InMemoryFileRepository implements FileRepository {

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

    public int size() {
        return records.size();
    }
}
