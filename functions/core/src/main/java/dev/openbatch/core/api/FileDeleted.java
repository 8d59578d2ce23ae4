package dev.openbatch.core.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** OpenAI's answer to {@code DELETE /v1/files/{id}}. */
public record FileDeleted(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("deleted") boolean deleted) {

    public static FileDeleted of(String id) {
        return new FileDeleted(id, FileObject.OBJECT, true);
    }
}
