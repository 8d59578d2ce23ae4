package dev.openbatch.core.fakes;

import dev.openbatch.core.files.FileContentStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

public final class InMemoryContentStore implements FileContentStore {

    public final Map<String, byte[]> objects = new ConcurrentHashMap<>();

    @Override
    public void put(String key, byte[] content, String contentType) {
        objects.put(key, content.clone());
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
    public void delete(String key) {
        objects.remove(key);
    }
}
