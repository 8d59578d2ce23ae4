package dev.openbatch.core.ingest;

import java.io.InputStream;
import java.util.Optional;

/**
 * The ingest bucket: operators drop input files under {@code incoming/} and find their batches'
 * results under {@code results/}. Reads of a drop are pinned to the version (or, in an unversioned
 * bucket, the entity tag) its event named, so a later overwrite cannot slip other bytes in.
 */
public interface DropBucket {

    /** The bucket's name: events of any other bucket are not for this service. */
    String name();

    /**
     * The object the event told of, as the bucket has it now; empty when it is gone, or when (in an
     * unversioned bucket) a newer object has replaced it, whose own event will follow.
     */
    Optional<Drop> describe(DropNotice notice);

    /** Streams the drop's bytes; the caller closes the stream, possibly before its end. */
    InputStream open(Drop drop);

    /** Copies the drop's bytes into the data bucket, at {@code dataKey}, without passing them through here. */
    void copyToData(Drop drop, String dataKey);

    /** Copies an object of the data bucket to {@code key} of this bucket, replacing what is there. */
    void copyFromData(String dataKey, String key, String contentType);

    /** Writes the object whole, replacing any object at that key. */
    void put(String key, byte[] content, String contentType);

    /** The bytes of a small object of this bucket, if it exists. */
    Optional<byte[]> read(String key);

    /** Removes the object; removing an absent object is not an error. */
    void delete(String key);

    /** Removes every object whose key starts with {@code prefix}. */
    void deleteAll(String prefix);
}
