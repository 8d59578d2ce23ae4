package dev.openbatch.core.ingest;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What the data bucket remembers of a batch that came from a drop, for the finalizer: where its
 * results go. Kept there, not in the batch's metadata, because API users cannot write it.
 *
 * @param bucket    the ingest bucket
 * @param key       the drop's key
 * @param versionId the drop's version, or null in an unversioned bucket
 * @param etag      the drop's entity tag
 * @param results   the folder of the ingest bucket its results are written to, ending in a slash
 */
public record DropRecord(
        @JsonProperty("bucket") String bucket,
        @JsonProperty("key") String key,
        @JsonProperty("version_id") String versionId,
        @JsonProperty("etag") String etag,
        @JsonProperty("results") String results) {}
