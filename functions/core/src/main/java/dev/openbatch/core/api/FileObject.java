package dev.openbatch.core.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * OpenAI's File object: a document uploaded to, or produced by, the service.
 *
 * @param id            the file identifier, {@code file-...}
 * @param object        always {@code file}
 * @param bytes         the size of the file, in bytes
 * @param createdAt     when the file was created, in Unix seconds
 * @param expiresAt     when the file expires, in Unix seconds, or null if it does not: set by
 *                      {@code expires_after} on upload, or a batch's {@code output_expires_after}
 * @param filename      the name of the file
 * @param purpose       {@code batch} for inputs, {@code batch_output} for outputs and error files
 * @param status        deprecated by OpenAI and still sent: {@code processed} once stored
 * @param statusDetails deprecated by OpenAI; always null here
 */
public record FileObject(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("bytes") long bytes,
        @JsonProperty("created_at") long createdAt,
        @JsonProperty("expires_at") Long expiresAt,
        @JsonProperty("filename") String filename,
        @JsonProperty("purpose") String purpose,
        @JsonProperty("status") String status,
        @JsonProperty("status_details") String statusDetails) {

    public static final String OBJECT = "file";
    public static final String PROCESSED = "processed";

    public static FileObject stored(String id, long bytes, long createdAt, String filename, String purpose) {
        return stored(id, bytes, createdAt, null, filename, purpose);
    }

    public static FileObject stored(
            String id, long bytes, long createdAt, Long expiresAt, String filename, String purpose) {
        return new FileObject(id, OBJECT, bytes, createdAt, expiresAt, filename, purpose, PROCESSED, null);
    }

    /** Whether the file has expired at {@code now} (Unix seconds): from its {@code expires_at} on, it is gone. */
    public boolean expiredBy(long now) {
        return expiresAt != null && now >= expiresAt;
    }
}
