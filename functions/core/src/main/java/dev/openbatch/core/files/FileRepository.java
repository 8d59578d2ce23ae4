package dev.openbatch.core.files;

import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.FileObject;
import java.util.Optional;

/** The records of files, each owned by one tenant and invisible to every other. */
public interface FileRepository {

    /** Stores a new file's record; its id must not exist yet. */
    void create(String tenant, FileObject file);

    /** The tenant's file of that id; empty if there is none, or it belongs to another tenant. */
    Optional<FileObject> find(String tenant, String id);

    /** The tenant's files, by id (so by creation time), optionally of one purpose only. */
    Page<FileObject> list(String tenant, String purpose, PageRequest page);

    /** Removes the tenant's file record; false if there was none to remove. */
    boolean delete(String tenant, String id);
}
