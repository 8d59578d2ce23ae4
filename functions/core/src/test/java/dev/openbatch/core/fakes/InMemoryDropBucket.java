package dev.openbatch.core.fakes;

import dev.openbatch.core.ingest.Drop;
import dev.openbatch.core.ingest.DropBucket;
import dev.openbatch.core.ingest.DropNotice;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** An unversioned ingest bucket in memory, copying to and from an in-memory data bucket. */
public final class InMemoryDropBucket implements DropBucket {

    /** One object as stored: its bytes, entity tag (the MD5, as S3's for a single-part upload), time and metadata. */
    public record Stored(byte[] bytes, String etag, Instant lastModified, Map<String, String> metadata) {}

    public final Map<String, Stored> objects = new ConcurrentHashMap<>();
    /** Every write, in order: what a retried step must not multiply. */
    public final List<String> writes = new CopyOnWriteArrayList<>();

    private final String name;
    private final InMemoryContentStore data;

    public InMemoryDropBucket(String name, InMemoryContentStore data) {
        this.name = name;
        this.data = data;
    }

    /** Puts an object as an operator does, and answers the event S3 would send of it. */
    public DropNotice drop(String key, String content, Instant at, Map<String, String> metadata) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        return drop(key, bytes, at, metadata);
    }

    public DropNotice drop(String key, byte[] bytes, Instant at, Map<String, String> metadata) {
        String etag = md5(bytes);
        objects.put(key, new Stored(bytes, etag, at, metadata));
        return new DropNotice(name, key, null, etag, bytes.length);
    }

    public String text(String key) {
        Stored stored = objects.get(key);
        return stored == null ? null : new String(stored.bytes(), StandardCharsets.UTF_8);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Optional<Drop> describe(DropNotice notice) {
        Stored stored = objects.get(notice.key());
        if (stored == null || !stored.etag().equals(notice.etag())) {
            return Optional.empty();
        }
        return Optional.of(new Drop(
                name,
                notice.key(),
                null,
                stored.etag(),
                stored.bytes().length,
                stored.lastModified(),
                stored.metadata()));
    }

    @Override
    public InputStream open(Drop drop) {
        return new ByteArrayInputStream(current(drop).bytes());
    }

    @Override
    public void copyToData(Drop drop, String dataKey) {
        data.put(dataKey, current(drop).bytes(), "application/jsonl");
    }

    @Override
    public void copyFromData(String dataKey, String key, String contentType) {
        byte[] bytes = data.objects.get(dataKey);
        if (bytes == null) {
            throw new IllegalStateException("no data object " + dataKey);
        }
        put(key, bytes, contentType);
    }

    @Override
    public void put(String key, byte[] content, String contentType) {
        writes.add(key);
        objects.put(key, new Stored(content.clone(), md5(content), Instant.EPOCH, Map.of()));
    }

    @Override
    public Optional<byte[]> read(String key) {
        return Optional.ofNullable(objects.get(key)).map(Stored::bytes);
    }

    @Override
    public void delete(String key) {
        objects.remove(key);
    }

    @Override
    public void deleteAll(String prefix) {
        objects.keySet().removeIf(key -> key.startsWith(prefix));
    }

    private Stored current(Drop drop) {
        Stored stored = objects.get(drop.key());
        if (stored == null || !stored.etag().equals(drop.etag())) {
            throw new IllegalStateException("precondition failed: " + drop.key() + " is not " + drop.etag());
        }
        return stored;
    }

    private static String md5(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
