package dev.openbatch.core.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * OpenAI's Upload Part object: one chunk of an upload's bytes, placed in the file by the order of
 * {@code part_ids} when the upload is completed.
 *
 * @param id        the part identifier, {@code part_...}
 * @param object    always {@code upload.part}
 * @param createdAt when the part was added, in Unix seconds
 * @param uploadId  the upload the part belongs to
 */
public record UploadPart(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("created_at") long createdAt,
        @JsonProperty("upload_id") String uploadId) {

    public static final String OBJECT = "upload.part";

    public static UploadPart of(String id, long createdAt, String uploadId) {
        return new UploadPart(id, OBJECT, createdAt, uploadId);
    }
}
