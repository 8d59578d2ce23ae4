package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openbatch.aws.S3DropBucket;
import dev.openbatch.core.ingest.Drop;
import dev.openbatch.core.ingest.DropNotice;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The ingest bucket adapter against the local S3, through the real S3 client. */
class S3DropBucketIntegrationTest {

    private static final String INGEST = "it-ingest-" + UUID.randomUUID();
    private static final String DATA = "it-data-" + UUID.randomUUID();
    private static S3Client s3;
    private static S3DropBucket bucket;

    @BeforeAll
    static void buckets() {
        s3 = Emulators.clients().s3();
        s3.createBucket(b -> b.bucket(INGEST));
        s3.createBucket(b -> b.bucket(DATA));
        bucket = new S3DropBucket(s3, INGEST, DATA);
    }

    /** Puts an object as an operator does, and answers the notice its event carries. */
    private static DropNotice put(String key, String content, Map<String, String> metadata) {
        String etag = s3.putObject(
                        b -> b.bucket(INGEST).key(key).metadata(metadata),
                        RequestBody.fromString(content, StandardCharsets.UTF_8))
                .eTag();
        return new DropNotice(INGEST, key, null, etag.replace("\"", ""), content.length());
    }

    private static String text(String bucketName, String key) {
        return s3.getObjectAsBytes(b -> b.bucket(bucketName).key(key)).asUtf8String();
    }

    @Test
    void describe_givesSizeTimeAndUserMetadata_ofTheObjectTheEventNamed() {
        DropNotice notice = put("incoming/job-a/one.jsonl", "{}\n", Map.of("openbatch-endpoint", "/v1/embeddings"));

        Drop drop = bucket.describe(notice).orElseThrow();

        assertThat(drop.etag()).isEqualTo(notice.etag()).doesNotContain("\"");
        assertThat(drop.size()).isEqualTo(3);
        assertThat(drop.lastModified()).isNotNull();
        assertThat(drop.metadata()).containsEntry("openbatch-endpoint", "/v1/embeddings");
        assertThat(drop.uri()).isEqualTo("s3://" + INGEST + "/incoming/job-a/one.jsonl");
    }

    @Test
    void describe_ofAnOverwrittenOrDeletedObject_isEmpty() {
        DropNotice old = put("incoming/job-a/two.jsonl", "old\n", Map.of());
        put("incoming/job-a/two.jsonl", "new!\n", Map.of());
        assertThat(bucket.describe(old)).isEmpty();

        s3.deleteObject(b -> b.bucket(INGEST).key("incoming/job-a/two.jsonl"));
        assertThat(bucket.describe(old)).isEmpty();
    }

    @Test
    void openAndCopy_takeExactlyTheDescribedBytes_andRefuseOnesWrittenSince() throws IOException {
        DropNotice notice = put("incoming/job-a/three.jsonl", "first\n", Map.of());
        Drop drop = bucket.describe(notice).orElseThrow();

        try (InputStream in = bucket.open(drop)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("first\n");
        }
        bucket.copyToData(drop, "files/file-3");
        assertThat(text(DATA, "files/file-3")).isEqualTo("first\n");

        put("incoming/job-a/three.jsonl", "second\n", Map.of());
        assertThatThrownBy(() -> bucket.open(drop).close())
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(412));
        assertThatThrownBy(() -> bucket.copyToData(drop, "files/file-3b"))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(412));
    }

    @Test
    void results_areCopiedFromTheDataBucket_writtenReadAndRemoved() {
        s3.putObject(b -> b.bucket(DATA).key("files/file-out"), RequestBody.fromString("{\"custom_id\":\"a\"}\n"));

        bucket.copyFromData("files/file-out", "results/job-a/r/output.jsonl", "application/jsonl");
        bucket.put(
                "results/job-a/r/batch.json",
                "{\"id\":\"batch_1\"}".getBytes(StandardCharsets.UTF_8),
                "application/json");

        assertThat(text(INGEST, "results/job-a/r/output.jsonl")).isEqualTo("{\"custom_id\":\"a\"}\n");
        assertThat(s3.headObject(b -> b.bucket(INGEST).key("results/job-a/r/output.jsonl"))
                        .contentType())
                .isEqualTo("application/jsonl");
        assertThat(bucket.read("results/job-a/r/batch.json"))
                .hasValueSatisfying(bytes ->
                        assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"batch_1\"}"));
        assertThat(bucket.read("results/job-a/r/errors.jsonl")).isEmpty();

        bucket.delete("results/job-a/r/output.jsonl");
        bucket.delete("results/job-a/r/output.jsonl");
        assertThat(bucket.read("results/job-a/r/output.jsonl")).isEmpty();
    }
}
