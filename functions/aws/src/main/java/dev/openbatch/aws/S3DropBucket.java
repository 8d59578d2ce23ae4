package dev.openbatch.aws;

import dev.openbatch.core.ingest.Drop;
import dev.openbatch.core.ingest.DropBucket;
import dev.openbatch.core.ingest.DropNotice;
import java.io.InputStream;
import java.util.Optional;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The ingest bucket. Every read of a drop names its version, or in an unversioned bucket requires
 * its entity tag ({@code If-Match}), so the bytes copied are the bytes the event told of. Copies
 * between it and the data bucket are server-side: a 200 MB drop never passes through the function.
 */
public final class S3DropBucket implements DropBucket {

    private static final int NOT_FOUND = 404;

    private final S3Client s3;
    private final String bucket;
    private final String dataBucket;

    public S3DropBucket(S3Client s3, String bucket, String dataBucket) {
        this.s3 = s3;
        this.bucket = bucket;
        this.dataBucket = dataBucket;
    }

    @Override
    public String name() {
        return bucket;
    }

    @Override
    public Optional<Drop> describe(DropNotice notice) {
        HeadObjectResponse head;
        try {
            head = s3.headObject(b -> b.bucket(bucket).key(notice.key()).versionId(notice.versionId()));
        } catch (NoSuchKeyException gone) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
        String etag = unquoted(head.eTag());
        if (notice.versionId() == null
                && notice.etag() != null
                && !notice.etag().equals(etag)) {
            return Optional.empty();
        }
        return Optional.of(new Drop(
                bucket,
                notice.key(),
                notice.versionId(),
                etag,
                head.contentLength(),
                head.lastModified(),
                head.metadata()));
    }

    @Override
    public InputStream open(Drop drop) {
        return s3.getObject(b -> b.bucket(bucket)
                .key(drop.key())
                .versionId(drop.versionId())
                .ifMatch(drop.versionId() == null ? quoted(drop.etag()) : null));
    }

    @Override
    public void copyToData(Drop drop, String dataKey) {
        s3.copyObject(b -> b.sourceBucket(bucket)
                .sourceKey(drop.key())
                .sourceVersionId(drop.versionId())
                .copySourceIfMatch(drop.versionId() == null ? quoted(drop.etag()) : null)
                .destinationBucket(dataBucket)
                .destinationKey(dataKey));
    }

    @Override
    public void copyFromData(String dataKey, String key, String contentType) {
        s3.copyObject(b -> b.sourceBucket(dataBucket)
                .sourceKey(dataKey)
                .destinationBucket(bucket)
                .destinationKey(key)
                .metadataDirective(MetadataDirective.REPLACE)
                .contentType(contentType));
    }

    @Override
    public void put(String key, byte[] content, String contentType) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(content));
    }

    @Override
    public Optional<byte[]> read(String key) {
        try {
            return Optional.of(
                    s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray());
        } catch (NoSuchKeyException absent) {
            return Optional.empty();
        }
    }

    @Override
    public void delete(String key) {
        s3.deleteObject(b -> b.bucket(bucket).key(key));
    }

    /** One DeleteObject per key: a results folder's partial files are one or two per chunk, and few chunks. */
    @Override
    public void deleteAll(String prefix) {
        for (S3Object object :
                s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            delete(object.key());
        }
    }

    /** S3 sends entity tags quoted in headers and bare in events; they are compared bare. */
    static String unquoted(String etag) {
        return etag == null ? null : etag.replace("\"", "");
    }

    private static String quoted(String etag) {
        return "\"" + etag + "\"";
    }
}
