package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openbatch.aws.AwsClients;
import dev.openbatch.aws.S3FileContentStore;
import dev.openbatch.aws.Settings;
import dev.openbatch.core.files.FileContentStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

class S3FileContentStoreIntegrationTest {

    private static final String BUCKET = "it-content-" + UUID.randomUUID();
    private static S3Client s3;
    private static S3FileContentStore store;

    @BeforeAll
    static void bucket() {
        s3 = Emulators.clients().s3();
        s3.createBucket(b -> b.bucket(BUCKET));
        store = new S3FileContentStore(s3, Emulators.clients().s3Presigner(), BUCKET);
    }

    @Test
    void put_thenOpen_givesTheSameBytesAndContentType() throws IOException {
        byte[] bytes = "{\"a\":1}\n{\"b\":\"\u00e9\"}\n".getBytes(StandardCharsets.UTF_8);

        store.put("files/file-1", bytes, "application/jsonl");

        try (InputStream in = store.open("files/file-1")) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
        assertThat(s3.headObject(b -> b.bucket(BUCKET).key("files/file-1")).contentType())
                .isEqualTo("application/jsonl");
    }

    @Test
    void putAStream_ofKnownLength_storesEveryByte() throws IOException {
        byte[] bytes = new byte[3 * 1024 * 1024 + 7];
        new Random(7).nextBytes(bytes);

        store.put("files/streamed", new ByteArrayInputStream(bytes), bytes.length, "application/jsonl");

        try (InputStream in = store.open("files/streamed")) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
    }

    @Test
    void sizes_andDeleteAll_coverEveryObjectUnderThePrefix_andNoOther() {
        String prefix = "uploads/upload_many/parts/";
        for (int i = 0; i < 12; i++) {
            store.put(prefix + String.format("part_%04d", i), new byte[i % 3], "application/octet-stream");
        }
        store.put("uploads/upload_many/other", new byte[5], "application/octet-stream");
        store.put("uploads/upload_many/parts-not", new byte[5], "application/octet-stream");

        Map<String, Long> sizes = store.sizes(prefix);

        assertThat(sizes)
                .hasSize(12)
                .containsEntry(prefix + "part_0002", 2L)
                .containsEntry(prefix + "part_0010", 1L)
                .containsEntry(prefix + "part_0000", 0L);
        store.deleteAll(prefix);
        assertThat(store.sizes(prefix)).isEmpty();
        assertThat(store.sizes("uploads/upload_many/"))
                .containsOnlyKeys("uploads/upload_many/other", "uploads/upload_many/parts-not");
    }

    @Test
    void presignedGet_readsTheObjectWithoutCredentials_fromTheClientsEndpoint() throws Exception {
        byte[] bytes = "{\"large\":true}\n".getBytes(StandardCharsets.UTF_8);
        store.put("files/presigned", bytes, "application/jsonl");

        URI url = store.presignedGet("files/presigned", Duration.ofMinutes(5));

        assertThat(url.getScheme() + "://" + url.getAuthority()).isEqualTo(s3Endpoint());
        assertThat(url.getPath()).isEqualTo("/" + BUCKET + "/files/presigned");
        assertThat(url.getQuery()).contains("X-Amz-Expires=300", "X-Amz-Signature=");
        HttpResponse<byte[]> response = HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(bytes);
    }

    /**
     * The local S3 endpoint checks no signature; an S3Proxy that checks SigV4 as S3 does proves the
     * presigned URL is signed right: accepted as it is, refused once tampered with or expired.
     */
    @Test
    void presignedGet_isASignatureS3Accepts_andOnlyUntouchedAndInTime() throws Exception {
        Path dir = Files.createTempDirectory("openbatch-signed-s3");
        S3Proxy signing = S3Proxy.builder()
                .blobStore(new FilesystemNio2BlobStore(dir.toString()))
                .endpoint(URI.create("http://127.0.0.1:" + Emulators.freePort()))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "local", "local")
                .build();
        signing.start();
        try {
            while (!"STARTED".equals(signing.getState())) {
                AwaitBatch.pause();
            }
            AwsClients clients = new AwsClients(Settings.builder()
                    .region("us-east-1")
                    .bucket("signed")
                    .filesTable("t")
                    .batchesTable("t")
                    .jobsJson("{}")
                    .endpoints(Map.of(Settings.S3, URI.create("http://127.0.0.1:" + signing.getPort())))
                    .staticCredentials(Optional.of(LocalRuntime.CREDENTIALS.split(":", 2)))
                    .build());
            S3Client client = clients.s3();
            client.createBucket(b -> b.bucket("signed"));
            S3FileContentStore signed = new S3FileContentStore(client, clients.s3Presigner(), "signed");
            signed.put("files/file-signed", "{}\n".getBytes(StandardCharsets.UTF_8), "application/jsonl");
            HttpClient http = HttpClient.newHttpClient();

            URI url = signed.presignedGet("files/file-signed", Duration.ofMinutes(5));
            URI tampered = URI.create(url.toString().replace("file-signed", "file-signeD"));
            URI expired = signed.presignedGet("files/file-signed", Duration.ofSeconds(1));
            Thread.sleep(2_000); // an expiry can only be shown by letting it pass

            assertThat(http.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofString())
                            .body())
                    .isEqualTo("{}\n");
            assertThat(http.send(HttpRequest.newBuilder(tampered).build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode())
                    .isEqualTo(403);
            assertThat(http.send(HttpRequest.newBuilder(expired).build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode())
                    .isEqualTo(403);
        } finally {
            signing.stop();
        }
    }

    private static String s3Endpoint() {
        return s3.serviceClientConfiguration().endpointOverride().orElseThrow().toString();
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

    /**
     * The SDK sends an upload in {@code aws-chunked} encoding, its CRC32 checksum in a trailer, as it
     * does to S3. Before the local S3 was made to read each body to its end, about one upload in
     * thirty was answered while its last bytes were still being written, and failed on its first
     * attempt; a conditional write's retry then met its own first attempt and answered 412.
     */
    @Test
    void uploadsInTheSdksDefaultEncoding_eachSucceedOnItsFirstAttempt() {
        AtomicInteger attempts = new AtomicInteger();
        ExecutionInterceptor counter = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                attempts.incrementAndGet();
            }
        };
        byte[] large = new byte[2 * 1024 * 1024];
        int writes = 0;
        try (S3Client counted = new AwsClients(Emulators.settings(), List.of(counter)).s3()) {
            for (int i = 0; i < 400; i++) {
                String key = "first-attempt/" + i;
                byte[] small = key.getBytes(StandardCharsets.UTF_8);
                counted.putObject(b -> b.bucket(BUCKET).key(key).ifNoneMatch("*"), RequestBody.fromBytes(small));
                writes++;
                if (i % 20 == 0) {
                    counted.putObject(
                            b -> b.bucket(BUCKET).key("first-attempt-large/" + key), RequestBody.fromBytes(large));
                    writes++;
                }
            }
        }

        assertThat(attempts.get()).as("attempts of %d writes", writes).isEqualTo(writes);
    }
}
