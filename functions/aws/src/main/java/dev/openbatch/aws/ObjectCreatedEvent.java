package dev.openbatch.aws;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.openbatch.core.ingest.DropNotice;
import java.util.List;

/**
 * The EventBridge event S3 sends when an object is created in a bucket with EventBridge
 * notifications on (detail-type {@code Object Created}), field for field as AWS documents it. The
 * local runtime's watcher sends the same.
 */
public record ObjectCreatedEvent(
        @JsonProperty("version") String version,
        @JsonProperty("id") String id,
        @JsonProperty("detail-type") String detailType,
        @JsonProperty("source") String source,
        @JsonProperty("account") String account,
        @JsonProperty("time") String time,
        @JsonProperty("region") String region,
        @JsonProperty("resources") List<String> resources,
        @JsonProperty("detail") Detail detail) {

    public static final String DETAIL_TYPE = "Object Created";
    public static final String SOURCE = "aws.s3";

    /**
     * @param reason how the object came to be: {@code PutObject}, {@code POST Object},
     *               {@code CopyObject} or {@code CompleteMultipartUpload}
     */
    public record Detail(
            @JsonProperty("version") String version,
            @JsonProperty("bucket") Bucket bucket,
            @JsonProperty("object") S3Object object,
            @JsonProperty("request-id") String requestId,
            @JsonProperty("requester") String requester,
            @JsonProperty("source-ip-address") String sourceIpAddress,
            @JsonProperty("reason") String reason) {}

    public record Bucket(@JsonProperty("name") String name) {}

    /**
     * @param versionId present only when the bucket is versioned
     * @param sequencer orders the events of one key
     */
    public record S3Object(
            @JsonProperty("key") String key,
            @JsonProperty("size") long size,
            @JsonProperty("etag") String etag,
            @JsonProperty("version-id") String versionId,
            @JsonProperty("sequencer") String sequencer) {}

    public boolean isObjectCreated() {
        return SOURCE.equals(source) && DETAIL_TYPE.equals(detailType) && detail != null && detail.object() != null;
    }

    public DropNotice notice() {
        return new DropNotice(
                detail.bucket().name(),
                detail.object().key(),
                detail.object().versionId(),
                S3DropBucket.unquoted(detail.object().etag()),
                detail.object().size());
    }
}
