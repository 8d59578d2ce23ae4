package dev.openbatch.core.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * OpenAI's Upload object: a file on its way in, sent as parts and assembled into one File.
 *
 * @param id        the upload identifier, {@code upload_...}
 * @param object    always {@code upload}
 * @param bytes     the number of bytes the file will have, as declared when the upload was created
 * @param createdAt when the upload was created, in Unix seconds
 * @param filename  the name the file will have
 * @param purpose   the purpose the file will have ({@code batch})
 * @param status    one of {@link Status}
 * @param expiresAt when the upload expires unless completed, in Unix seconds
 * @param file      the File the parts became, once completed; absent before
 * @param fileExpiresAfter not OpenAI's field, and never sent: the seconds after its creation at which
 *                  the File expires, from the upload's {@code expires_after}; null when it does not
 */
public record Upload(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("bytes") long bytes,
        @JsonProperty("created_at") long createdAt,
        @JsonProperty("filename") String filename,
        @JsonProperty("purpose") String purpose,
        @JsonProperty("status") String status,
        @JsonProperty("expires_at") long expiresAt,

        @JsonProperty("file") @JsonInclude(JsonInclude.Include.NON_NULL)
        FileObject file,

        @JsonIgnore Long fileExpiresAfter) {

    public static final String OBJECT = "upload";

    /** The statuses of an upload, as OpenAI names them. */
    public static final class Status {
        public static final String PENDING = "pending";
        public static final String COMPLETED = "completed";
        public static final String CANCELLED = "cancelled";
        public static final String EXPIRED = "expired";

        private Status() {}
    }

    public static Upload pending(
            String id, long bytes, long createdAt, String filename, String purpose, long expiresAt) {
        return pending(id, bytes, createdAt, filename, purpose, expiresAt, null);
    }

    public static Upload pending(
            String id,
            long bytes,
            long createdAt,
            String filename,
            String purpose,
            long expiresAt,
            Long fileExpiresAfter) {
        return new Upload(
                id, OBJECT, bytes, createdAt, filename, purpose, Status.PENDING, expiresAt, null, fileExpiresAfter);
    }

    /**
     * The upload as it stands at {@code now}: a pending upload past its expiry is {@code expired}. Nothing
     * needs to run at the moment it expires; what it held is refused from then on.
     */
    public Upload asOf(long now) {
        return status.equals(Status.PENDING) && now >= expiresAt ? withStatus(Status.EXPIRED, null) : this;
    }

    public Upload withStatus(String newStatus, FileObject newFile) {
        return new Upload(
                id, object, bytes, createdAt, filename, purpose, newStatus, expiresAt, newFile, fileExpiresAfter);
    }
}
