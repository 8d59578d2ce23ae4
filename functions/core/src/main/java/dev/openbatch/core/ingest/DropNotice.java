package dev.openbatch.core.ingest;

/**
 * What an "Object Created" event tells of an object put into the ingest bucket.
 *
 * @param bucket    the bucket the object was put into
 * @param key       the object's key, as stored
 * @param versionId the object's version, when the bucket is versioned; null otherwise
 * @param etag      the object's entity tag, without quotes
 * @param size      its size in bytes
 */
public record DropNotice(String bucket, String key, String versionId, String etag, long size) {}
