package dev.openbatch.aws;

import dev.openbatch.core.files.FileContentStore;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/** File bytes as objects in the data bucket. */
public final class S3FileContentStore implements FileContentStore {

    /** DeleteObjects takes at most this many keys per request. */
    private static final int DELETE_BATCH = 1000;

    private final S3Client s3;
    private final S3Presigner presigner;
    private final String bucket;

    /** The presigner must be configured as the client is (see {@link AwsClients#s3Presigner}). */
    public S3FileContentStore(S3Client s3, S3Presigner presigner, String bucket) {
        this.s3 = s3;
        this.presigner = presigner;
        this.bucket = bucket;
    }

    @Override
    public void put(String key, byte[] content, String contentType) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(content));
    }

    /**
     * One PutObject of known length, streamed: the URL-connection client sends a body of known length
     * in fixed-length streaming mode, and the SDK keeps only a bounded buffer of it for retries.
     */
    @Override
    public void put(String key, InputStream content, long length, String contentType) {
        s3.putObject(
                b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromInputStream(content, length));
    }

    @Override
    public InputStream open(String key) {
        try {
            return s3.getObject(b -> b.bucket(bucket).key(key));
        } catch (NoSuchKeyException e) {
            throw new NoSuchKey(key);
        }
    }

    @Override
    public long size(String key) {
        try {
            return s3.headObject(b -> b.bucket(bucket).key(key)).contentLength();
        } catch (NoSuchKeyException e) {
            throw new NoSuchKey(key);
        }
    }

    @Override
    public Map<String, Long> sizes(String prefix) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (S3Object object :
                s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            sizes.put(object.key(), object.size());
        }
        return sizes;
    }

    @Override
    public void delete(String key) {
        s3.deleteObject(b -> b.bucket(bucket).key(key));
    }

    @Override
    public void deleteAll(String prefix) {
        List<ObjectIdentifier> keys = sizes(prefix).keySet().stream()
                .map(key -> ObjectIdentifier.builder().key(key).build())
                .toList();
        for (int from = 0; from < keys.size(); from += DELETE_BATCH) {
            List<ObjectIdentifier> batch = keys.subList(from, Math.min(keys.size(), from + DELETE_BATCH));
            DeleteObjectsResponse response = s3.deleteObjects(
                    b -> b.bucket(bucket).delete(d -> d.objects(batch).quiet(true)));
            if (response.hasErrors() && !response.errors().isEmpty()) {
                throw new IllegalStateException(response.errors().size() + " objects under " + prefix
                        + " could not be removed, e.g. " + response.errors().getFirst());
            }
        }
    }

    @Override
    public URI presignedGet(String key, Duration validity) {
        try {
            return presigner
                    .presignGetObject(p -> p.signatureDuration(validity)
                            .getObjectRequest(g -> g.bucket(bucket).key(key)))
                    .url()
                    .toURI();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("S3 presigned a URL that is not a URI", e);
        }
    }
}
