package dev.openbatch.core.files;

import java.io.FileNotFoundException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/** The bytes of files, by key. */
public interface FileContentStore {

    /** Writes the object whole, replacing any object at that key. */
    void put(String key, byte[] content, String contentType);

    /**
     * Writes the object from a stream of known length, replacing any object at that key. The stream
     * is read as it is sent, never held whole, so the object may be far larger than the memory at hand.
     */
    void put(String key, InputStream content, long length, String contentType);

    /** Streams the object; the caller closes the stream. Throws {@link NoSuchKey} when it is absent. */
    InputStream open(String key);

    /** The object's size in bytes. Throws {@link NoSuchKey} when it is absent. */
    long size(String key);

    /** The sizes in bytes of the objects whose keys start with {@code prefix}, by key. */
    Map<String, Long> sizes(String prefix);

    /** Removes the object; removing an absent object is not an error. */
    void delete(String key);

    /** Removes every object whose key starts with {@code prefix}. */
    void deleteAll(String prefix);

    /**
     * A URL from which anyone holding it may read the object, without other credentials, until
     * {@code validity} has passed: large downloads go there instead of through the API.
     */
    URI presignedGet(String key, Duration validity);

    /** The object a key names does not exist. */
    final class NoSuchKey extends UncheckedIOException {

        private static final long serialVersionUID = 1L;

        public NoSuchKey(String key) {
            super("no object at " + key, new FileNotFoundException(key));
        }
    }
}
