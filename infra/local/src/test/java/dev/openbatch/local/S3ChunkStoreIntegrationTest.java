package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.aws.S3ChunkStore;
import dev.openbatch.aws.S3FileContentStore;
import dev.openbatch.core.pipeline.ChunkStore;
import dev.openbatch.core.pipeline.PartCounts;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The chunk store's first-writer-wins objects against the local S3 (S3Proxy), through the real SDK
 * client: a log segment or a part's counts written twice keep the first write, and the second
 * writer learns it lost — the {@code If-None-Match: *} answer S3 gives, 412 Precondition Failed.
 */
class S3ChunkStoreIntegrationTest {

    private static final String BUCKET = "it-chunks-" + UUID.randomUUID();
    private static S3ChunkStore store;

    @BeforeAll
    static void bucket() {
        S3Client s3 = Emulators.clients().s3();
        s3.createBucket(b -> b.bucket(BUCKET));
        store = new S3ChunkStore(
                s3, BUCKET, new S3FileContentStore(s3, Emulators.clients().s3Presigner(), BUCKET));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aSegmentWrittenTwice_keepsTheFirstWrite_andTellsTheSecondWriterItLost() {
        assertThat(store.readSegment("batch_seg", 0, 0)).isEmpty();

        boolean first = store.writeSegment("batch_seg", 0, 0, bytes("first"));
        boolean second = store.writeSegment("batch_seg", 0, 0, bytes("second"));

        assertThat(first).isTrue();
        assertThat(second).isFalse();
        assertThat(store.readSegment("batch_seg", 0, 0))
                .hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("first")));
        assertThat(store.writeSegment("batch_seg", 0, 1, bytes("next"))).isTrue();
    }

    @Test
    void aPartWrittenTwice_answersTheFirstWritersCounts() throws IOException {
        PartCounts first = store.writePart("batch_part", 3, bytes("{\"a\":1}\n"), bytes(""), new PartCounts(1, 0, 0));
        PartCounts second = store.writePart("batch_part", 3, bytes("{\"a\":1}\n"), bytes(""), new PartCounts(0, 1, 0));

        assertThat(first).isEqualTo(new PartCounts(1, 0, 0));
        assertThat(second).as("the second writer adopts the first's counts").isEqualTo(first);
        assertThat(store.partCounts("batch_part", 3)).contains(first);
        try (InputStream output = store.readPart("batch_part", 3, ChunkStore.PartKind.OUTPUT)) {
            assertThat(output.readAllBytes()).isEqualTo(bytes("{\"a\":1}\n"));
        }
    }
}
