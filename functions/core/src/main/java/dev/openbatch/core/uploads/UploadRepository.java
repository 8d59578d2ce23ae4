package dev.openbatch.core.uploads;

import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.api.Upload;
import java.util.Optional;

/** The records of uploads, each owned by one tenant and invisible to every other. */
public interface UploadRepository {

    /** Stores a new upload; its id must not exist yet. */
    void create(String tenant, Upload upload);

    /**
     * The tenant's upload of that id, as stored; empty if there is none, or it belongs to another
     * tenant. A pending upload past its expiry is still stored as pending: see {@link Upload#asOf}.
     */
    Optional<Upload> find(String tenant, String id);

    /**
     * Moves a pending upload to {@code status}: {@code completed} with the File it became, or
     * {@code cancelled} with none. Answers the upload as it is afterwards, or empty if it was no
     * longer pending, so that of a complete and a cancel that race, exactly one wins.
     */
    Optional<Upload> finish(String tenant, String id, String status, FileObject file);
}
