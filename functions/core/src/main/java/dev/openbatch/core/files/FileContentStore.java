package dev.openbatch.core.files;

import java.io.FileNotFoundException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The bytes of files, by key. */
public interface FileContentStore {

    /** Writes the object whole, replacing any object at that key. */
    void put(String key, byte[] content, String contentType);

    /** Writes the object from a stream of known length, replacing any object at that key. */
    void put(String key, InputStream content, long length, String contentType);

    /** Streams the object; the caller closes the stream. Throws {@link NoSuchKey} when it is absent. */
    InputStream open(String key);

    /** Removes the object; removing an absent object is not an error. */
    void delete(String key);

    /** The object a key names does not exist. */
    final class NoSuchKey extends UncheckedIOException {
        public NoSuchKey(String key) {
            super("no object at " + key, new FileNotFoundException(key));
        }
    }
}
