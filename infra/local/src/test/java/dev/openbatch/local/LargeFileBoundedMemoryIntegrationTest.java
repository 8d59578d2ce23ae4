package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.aws.S3FileContentStore;
import dev.openbatch.aws.Tables;
import dev.openbatch.core.Json;
import dev.openbatch.core.fakes.LargestInput;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The largest input a batch may have, 200 MB in 50,000 lines, uploaded, validated, finalized and
 * downloaded by the functions in a JVM whose heap is capped at 256 MB: every step streams, or it
 * runs out of memory; and so are the output read while the batch runs (a 200 MB snapshot) and
 * the retry of its every line (the input streamed twice, copied whole). The emulators run in this JVM, outside the cap, as S3 and DynamoDB are outside the Lambda.
 */
class LargeFileBoundedMemoryIntegrationTest {

    private static final String HEAP = "-Xmx256m";

    @Test
    void a200MbFileOf50000Lines_passesEveryStep_withA256MbHeap(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("large.jsonl");
        String inputSha256 = write(input);
        assertThat(Files.size(input)).isEqualTo(LargestInput.BYTES);

        String suffix = UUID.randomUUID().toString();
        String bucket = "it-large-" + suffix;
        String filesTable = "it-large-files-" + suffix;
        String batchesTable = "it-large-batches-" + suffix;
        S3Client s3 = Emulators.clients().s3();
        DynamoDbClient dynamo = Emulators.clients().dynamoDb();
        s3.createBucket(b -> b.bucket(bucket));
        dynamo.createTable(Tables.ownedRecords(filesTable));
        dynamo.createTable(Tables.ownedRecords(batchesTable));
        try {
            JsonNode measured = runCapped(
                    dir,
                    Emulators.s3Endpoint().toString(),
                    Emulators.dynamoEndpoint().toString(),
                    bucket,
                    filesTable,
                    batchesTable,
                    input.toString());
            System.out.println("large file, " + HEAP + ": " + measured);

            assertThat(measured.get("parts").asInt()).isEqualTo(48);
            assertThat(measured.get("upload_status").asText()).isEqualTo("completed");
            assertThat(measured.get("valid").asBoolean()).isTrue();
            // Past 500 lines a chunk grows only while under 2 MiB: 525 lines of 4,000 bytes a chunk.
            assertThat(measured.get("chunks").asInt()).isEqualTo(96);
            assertThat(measured.get("status").asText()).isEqualTo("completed");
            assertThat(measured.get("output_content_status").asInt()).isEqualTo(302);
            assertThat(measured.get("output_bytes").asLong()).isEqualTo(LargestInput.BYTES);
            assertThat(measured.get("output_sha256").asText()).isEqualTo(inputSha256);
            // The output read while the batch runs, every part whole: the same bytes, from a snapshot.
            assertThat(measured.get("partial_output_content_status").asInt()).isEqualTo(302);
            assertThat(measured.get("partial_output_sha256").asText()).isEqualTo(inputSha256);
            // A retry of every line copies the whole input, byte for byte, in the same heap.
            assertThat(measured.get("retry_input_bytes").asLong()).isEqualTo(LargestInput.BYTES);
            assertThat(measured.get("retry_input_sha256").asText()).isEqualTo(inputSha256);
            assertThat(measured.get("max_heap_bytes").asLong()).isLessThanOrEqualTo(256L * 1024 * 1024);
        } finally {
            // Frees the emulators' disk; best effort, so that a run that failed mid-upload (its
            // multipart upload left open keeps the bucket from being deleted) reports its own failure.
            try {
                new S3FileContentStore(s3, Emulators.clients().s3Presigner(), bucket).deleteAll("");
                s3.deleteBucket(b -> b.bucket(bucket));
                dynamo.deleteTable(b -> b.tableName(filesTable));
                dynamo.deleteTable(b -> b.tableName(batchesTable));
            } catch (RuntimeException e) {
                System.err.println("large file: cleaning up " + bucket + " failed: " + e.getMessage());
            }
        }
    }

    /** The benchmark's input: 50,000 request lines of 4,000 bytes each. Answers the file's SHA-256. */
    private static String write(Path file) throws Exception {
        LargestInput.write(file);
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha256)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    private static JsonNode runCapped(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP,
                "-XX:+ExitOnOutOfMemoryError",
                "-cp",
                System.getProperty("java.class.path"),
                LargeFileRun.class.getName()));
        command.addAll(List.of(args));
        Path log = dir.resolve("run.log");
        Path out = dir.resolve("run.out");
        Process process = new ProcessBuilder(command)
                .redirectError(log.toFile())
                .redirectOutput(out.toFile())
                .start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("the run did not end within 5 minutes:\n" + Files.readString(log));
        }
        assertThat(process.exitValue())
                .as("exit value; stderr:\n%s", Files.readString(log))
                .isZero();
        List<String> lines = Files.readAllLines(out);
        return Json.MAPPER.readTree(lines.getLast());
    }
}
