package dev.openbatch.core.fakes;

import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.api.Upload;
import dev.openbatch.core.uploads.UploadRepository;
import java.util.Optional;

public final class InMemoryUploadRepository implements UploadRepository {

    private final InMemoryRecords<Upload> records = new InMemoryRecords<>(Upload::id);
    /** Runs once, before the next finish: what a concurrent request does in between. */
    public Runnable beforeNextFinish;

    @Override
    public void create(String tenant, Upload upload) {
        records.create(tenant, upload);
    }

    @Override
    public Optional<Upload> find(String tenant, String id) {
        return records.find(tenant, id);
    }

    @Override
    public Optional<Upload> finish(String tenant, String id, String status, FileObject file) {
        Runnable concurrent = beforeNextFinish;
        beforeNextFinish = null;
        if (concurrent != null) {
            concurrent.run();
        }
        synchronized (this) {
            Optional<Upload> found = find(tenant, id).filter(u -> u.status().equals(Upload.Status.PENDING));
            found.ifPresent(u -> records.replace(id, u.withStatus(status, file)));
            return found.flatMap(u -> find(tenant, id));
        }
    }
}
