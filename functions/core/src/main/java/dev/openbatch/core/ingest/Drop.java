package dev.openbatch.core.ingest;

import java.time.Instant;
import java.util.Map;

/**
 * An object dropped into the ingest bucket, as the bucket describes it: exactly one version of it.
 *
 * @param bucket       the ingest bucket
 * @param key          the object's key
 * @param versionId    its version, when the bucket is versioned; null otherwise
 * @param etag         its entity tag, without quotes
 * @param size         its size in bytes
 * @param lastModified when this version was written
 * @param metadata     its user metadata ({@code x-amz-meta-*}), names in lower case and without the prefix
 */
public record Drop(
        String bucket,
        String key,
        String versionId,
        String etag,
        long size,
        Instant lastModified,
        Map<String, String> metadata) {

    public Drop {
        metadata = Map.copyOf(metadata);
    }

    public String uri() {
        return "s3://" + bucket + "/" + key;
    }

    /**
     * What tells this drop from every other: the object and its version or, in an unversioned bucket,
     * its entity tag (with {@link #lastModified}, which the derived ids also carry, a rewrite of the
     * same bytes is a new drop).
     */
    String identity() {
        return uri() + "#" + (versionId != null ? "version:" + versionId : "etag:" + etag);
    }
}
