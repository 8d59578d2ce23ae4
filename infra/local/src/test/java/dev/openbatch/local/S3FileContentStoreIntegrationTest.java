package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openbatch.aws.S3FileContentStore;
import dev.openbatch.core.files.FileContentStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

class S3FileContentStoreIntegrationTest {

    private static final String BUCKET = "it-content-" + UUID.randomUUID();
    private static S3Client s3;
    private static S3FileContentStore store;

    @BeforeAll
    static void bucket() {
        s3 = Emulators.clients().s3();
        s3.createBucket(b -> b.bucket(BUCKET));
        store = new S3FileContentStore(s3, BUCKET);
    }

    @Test
    void put_thenOpen_givesTheSameBytesAndContentType() throws IOException {
        byte[] bytes = "{\"a\":1}\n{\"b\":\"\u00e9\"}\n".getBytes(StandardCharsets.UTF_8);

        store.put("files/file-1", bytes, "application/jsonl");

        try (InputStream in = store.open("files/file-1")) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
        assertThat(s3.headObject(b -> b.bucket(BUCKET).key("files/file-1")).contentType()).isEqualTo("application/jsonl");
    }

    @Test
    void open_anAbsentKey_throwsNoSuchKey() {
        assertThatThrownBy(() -> store.open("files/absent")).isInstanceOf(FileContentStore.NoSuchKey.class);
    }

    @Test
    void delete_removesTheObject_andAnAbsentOneIsNoError() {
        store.put("files/file-2", new byte[] {1}, "application/jsonl");

        store.delete("files/file-2");
        store.delete("files/file-2");

        assertThatThrownBy(() -> store.open("files/file-2")).isInstanceOf(FileContentStore.NoSuchKey.class);
    }
}
