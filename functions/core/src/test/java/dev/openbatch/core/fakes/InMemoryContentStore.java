package dev.openbatch.core.fakes;

import dev.openbatch.core.files.FileContentStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

public final class InMemoryContentStore implements FileContentStore {

    public final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    /** Runs once, after the next put: what a concurrent request does in between. */
    public Runnable afterNextPut;

    @Override
    public void put(String key, byte[] content, String contentType) {
        objects.put(key, content.clone());
        Runnable concurrent = afterNextPut;
        afterNextPut = null;
        if (concurrent != null) {
            concurrent.run();
        }
    }

    @Override
    public void put(String key, InputStream content, long length, String contentType) {
        try {
            byte[] bytes = content.readAllBytes();
            if (bytes.length != length) {
                throw new IllegalStateException("declared " + length + " bytes, got " + bytes.length);
            }
            objects.put(key, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public InputStream open(String key) {
        byte[] bytes = objects.get(key);
        if (bytes == null) {
            throw new NoSuchKey(key);
        }
        return new ByteArrayInputStream(bytes);
    }

    @Override
    public long size(String key) {
        byte[] bytes = objects.get(key);
        if (bytes == null) {
            throw new NoSuchKey(key);
        }
        return bytes.length;
    }

    @Override
    public Map<String, Long> sizes(String prefix) {
        Map<String, Long> sizes = new TreeMap<>();
        objects.forEach((key, bytes) -> {
            if (key.startsWith(prefix)) {
                sizes.put(key, (long) bytes.length);
            }
        });
        return sizes;
    }

    @Override
    public void delete(String key) {
        objects.remove(key);
    }

    @Override
    public void deleteAll(String prefix) {
        objects.keySet().removeIf(key -> key.startsWith(prefix));
    }

    /** A URL that names the key and its validity, for tests to read back. */
    @Override
    public URI presignedGet(String key, Duration validity) {
        return URI.create("https://content.test/" + key + "?validity=" + validity.toSeconds());
    }
}
