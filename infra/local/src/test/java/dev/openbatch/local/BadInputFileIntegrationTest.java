package dev.openbatch.local;

import static dev.openbatch.local.ServingRuntime.ENDPOINT;
import static dev.openbatch.local.ServingRuntime.goodLine;
import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchError;
import dev.openbatch.aws.S3ChunkStore;
import dev.openbatch.aws.S3FileContentStore;
import dev.openbatch.core.fakes.LargestInput;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.pipeline.InputValidator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Bad input files, each run as a user runs a batch through the local runtime: the batch fails
 * validation with errors naming the line, code and parameter, in OpenAI's words where OpenAI has
 * them; no chunk is left in the store; the service still serves. Some "bad" input is accepted by
 * design (a byte-order mark, CRLF, blank lines), and runs to its end.
 *
 * <p>Files are uploaded with the OpenAI SDK: in one request up to 4 MiB, with the Uploads API above.
 * A file over 200 MB cannot be uploaded at all (see {@link BadInputApiIntegrationTest}); the
 * validator's own check of that limit is tested reading a 200 MB + 1 byte object through S3.
 */
class BadInputFileIntegrationTest {

    /** Lines per chunk: the 100 good lines before each bad one make a chunk, which must not survive. */
    private static final int CHUNK_LINES = 100;

    private static final int BAD_LINE = CHUNK_LINES + 1;

    private static ServingRuntime serving;

    @BeforeAll
    static void start() {
        serving = ServingRuntime.start(CHUNK_LINES);
    }

    @AfterAll
    static void stop() {
        serving.close();
    }

    /** The line, code and parameter of one error of a failed batch. */
    record Error(String code, String param, Integer line) {}

    /** How a file's batch ends: completed with its lines, or failed with these errors, the first saying {@code says}. */
    record Outcome(int completed, List<Error> errors, String says) {
        @Override
        public String toString() {
            return errors.isEmpty() ? "completed, " + completed + " lines" : "failed, " + errors;
        }
    }

    private static Arguments accepted(String why, byte[] file, int lines) {
        return Arguments.of(why, file, new Outcome(lines, List.of(), null));
    }

    private static Arguments refused(String why, byte[] file, String says, Error error) {
        return Arguments.of(why, file, new Outcome(0, List.of(error), says));
    }

    private static Error error(String code, String param, Integer line) {
        return new Error(code, param, line);
    }

    private static String lines(String prefix, int count, String separator) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < count; i++) {
            lines.append(goodLine(prefix + i)).append(separator);
        }
        return lines.toString();
    }

    /** A chunk's worth of good lines, the bad line (line 101), and a good line after it. */
    private static byte[] withBadLine(byte[] bad) {
        return concat(utf8(lines("lead-", CHUNK_LINES, "\n")), bad, utf8("\n" + goodLine("tail") + "\n"));
    }

    private static byte[] withBadLine(String bad) {
        return withBadLine(utf8(bad));
    }

    private static String request(String customId, String method, String url, String body) {
        return "{\"custom_id\":" + customId + ",\"method\":" + method + ",\"url\":" + url + ",\"body\":" + body + "}";
    }

    private static String withBody(String body) {
        return request("\"bad\"", "\"POST\"", "\"" + ENDPOINT + "\"", body);
    }

    static Stream<Arguments> files() {
        String tenMegabytes = goodLine("huge")
                .replace("hello huge", "x".repeat(10_000_000 - goodLine("huge").length() + "hello huge".length()));
        return Stream.of(
                refused(
                        "bytes that are not UTF-8 (Latin-1)",
                        withBadLine(withBody("{\"model\":\"caf\u00e9\"}").getBytes(StandardCharsets.ISO_8859_1)),
                        "It is not UTF-8: byte 0xe9",
                        error("invalid_json_line", null, BAD_LINE)),
                refused(
                        "a UTF-16 file with its byte-order mark",
                        concat(
                                new byte[] {(byte) 0xFF, (byte) 0xFE},
                                lines("u16-", 3, "\n").getBytes(StandardCharsets.UTF_16LE)),
                        "The input file is UTF-16",
                        error("invalid_file_format", null, null)),
                refused(
                        "a UTF-16 file without byte-order mark", goodLine("u16").getBytes(StandardCharsets.UTF_16LE),
                        "NUL byte at byte 2 (is the file UTF-16?)", error("invalid_json_line", null, 1)),
                accepted(
                        "a UTF-8 byte-order mark",
                        concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8(lines("bom-", 3, "\n"))),
                        3),
                accepted("CRLF line ends", utf8(lines("crlf-", 3, "\r\n")), 3),
                accepted(
                        "blank lines, of nothing, spaces, tabs or a CR",
                        utf8("\n" + lines("blank-", 3, "\n \n\t\n\r\n")),
                        3),
                refused(
                        "blank lines counted in the number of a bad line after them",
                        utf8(goodLine("first") + "\n\n  \n" + withBody("\"not an object\"") + "\n"),
                        "expected an object, but got a string",
                        error("invalid_type", "body", 4)),
                accepted(
                        "a carriage return between a line's tokens",
                        utf8(goodLine("cr").replace(",\"method\"", ",\r\"method\"") + "\n" + goodLine("after-cr")
                                + "\n"),
                        2),
                refused(
                        "a 10 MB line",
                        withBadLine(tenMegabytes),
                        "This line has 10000000 bytes; a request line may " + "have at most 8388608 bytes",
                        error("line_too_large", null, BAD_LINE)),
                refused(
                        "JSON nested 1001 levels deep",
                        withBadLine(withBody("{\"x\":" + "[".repeat(999) + "]".repeat(999) + "}")),
                        "Document nesting depth (1001) exceeds the maximum allowed (1000)",
                        error("invalid_json_line", null, BAD_LINE)),
                refused(
                        "two JSON values on one line", withBadLine(goodLine("one") + " " + goodLine("two")),
                        "Unexpected content after the JSON value", error("invalid_json_line", null, BAD_LINE)),
                refused(
                        "a number as custom_id",
                        withBadLine(request("7", "\"POST\"", "\"" + ENDPOINT + "\"", "{}")),
                        "Invalid type for 'custom_id': expected a string, but got an integer instead.",
                        error("invalid_type", "custom_id", BAD_LINE)),
                refused(
                        "a custom_id of 513 characters", withBadLine(goodLine("c".repeat(513))),
                        "expected between 1 and 512 characters, but got 513",
                                error("invalid_value", "custom_id", BAD_LINE)),
                accepted("a custom_id of 512 characters", utf8(goodLine("c".repeat(512)) + "\n"), 1),
                refused(
                        "stream: true",
                        withBadLine(withBody("{\"model\":\"m\",\"stream\":true}")),
                        "Invalid 'body.stream': the Batch API does not stream responses",
                        error("invalid_value", "body.stream", BAD_LINE)),
                refused(
                        "method GET", withBadLine(request("\"bad\"", "\"GET\"", "\"" + ENDPOINT + "\"", "{}")),
                        "only POST is supported, but got \"GET\"", error("invalid_method", "method", BAD_LINE)),
                refused(
                        "a url with a query string",
                        withBadLine(request("\"bad\"", "\"POST\"", "\"" + ENDPOINT + "?stream=true\"", "{}")),
                        "(a query string is not part of the endpoint)",
                        error("invalid_url", "url", BAD_LINE)),
                refused(
                        "an unknown endpoint as url",
                        withBadLine(request("\"bad\"", "\"POST\"", "\"/v1/moderations\"", "{}")),
                        "expected '/v1/chat/completions', but got \"/v1/moderations\"",
                        error("invalid_url", "url", BAD_LINE)),
                refused(
                        "a body of the wrong type",
                        withBadLine(withBody("[\"hello\"]")),
                        "Invalid type for 'body': expected an object, but got an array instead.",
                        error("invalid_type", "body", BAD_LINE)),
                refused(
                        "a url of the wrong type", withBadLine(request("\"bad\"", "\"POST\"", "5", "{}")),
                        "expected '/v1/chat/completions', but got 5", error("invalid_url", "url", BAD_LINE)),
                refused(
                        "50,001 lines", utf8(lines("n-", 50_001, "\n")),
                        "The input file has more than 50000 requests", error("too_many_tasks", null, null)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void aFile_endsAsItsOutcomeSays_leavingNoChunkOfAFailure_andTheServiceServes(
            String why, byte[] file, Outcome outcome) {
        Batch batch = AwaitBatch.ended(
                serving.client, SdkBatches.submit(serving.client, ENDPOINT, file), ServingRuntime.BATCH_ENDS_WITHIN);

        if (outcome.errors().isEmpty()) {
            assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
            assertThat(SdkBatches.endings(serving.client, batch, outcome.completed())
                            .values())
                    .allSatisfy(line -> assertThat(
                                    line.get("response").get("status_code").asInt())
                            .isEqualTo(200));
        } else {
            assertFailed(batch, outcome);
        }
        serving.assertServing();
    }

    private static void assertFailed(Batch batch, Outcome outcome) {
        assertThat(batch.status()).isEqualTo(Batch.Status.FAILED);
        assertThat(batch.failedAt()).isPresent();
        List<BatchError> errors = batch.errors().orElseThrow().data().orElseThrow();
        assertThat(errors)
                .extracting(e -> new Error(
                        e.code().orElse(null),
                        e.param().orElse(null),
                        e.line().map(Long::intValue).orElse(null)))
                .containsExactlyElementsOf(outcome.errors());
        assertThat(errors.getFirst().message())
                .hasValueSatisfying(message -> assertThat(message).contains(outcome.says()));
        assertThat(batch.outputFileId()).isEmpty();
        assertThat(batch.errorFileId()).isEmpty();
        assertThat(serving.objects("batches/" + batch.id() + "/"))
                .as("chunks left by a failed validation")
                .isEmpty();
    }

    @Test
    void anInputFileGoneBeforeValidationReadsIt_failsTheBatch_fileNotFound() {
        String fileId = SdkBatches.upload(serving.client, utf8(goodLine("gone") + "\n"));
        // DELETE /v1/files removes the record, then the bytes; a batch created before sees the bytes gone.
        serving.s3.deleteObject(b -> b.bucket(LocalRuntime.BUCKET).key(Files.contentKey(fileId)));

        Batch batch = AwaitBatch.ended(
                serving.client, SdkBatches.create(serving.client, ENDPOINT, fileId), ServingRuntime.BATCH_ENDS_WITHIN);

        assertFailed(
                batch,
                new Outcome(
                        0,
                        List.of(error("file_not_found", "input_file_id", null)),
                        "The input file " + fileId + " no longer exists."));
        serving.assertServing();
    }

    @Test
    void twoHundredMegabytesAndOneByte_areRefusedByTheValidator_readingThroughS3_andItsChunksRemoved(@TempDir Path dir)
            throws IOException {
        Path big = dir.resolve("big.jsonl");
        LargestInput.write(big);
        java.nio.file.Files.write(big, new byte[] {'\n'}, StandardOpenOption.APPEND);
        assertThat(java.nio.file.Files.size(big)).isEqualTo(InputValidator.Limits.OPENAI.maxBytes() + 1);
        String key = Files.contentKey("file-big-input");
        serving.s3.putObject(b -> b.bucket(LocalRuntime.BUCKET).key(key), RequestBody.fromFile(big));
        java.nio.file.Files.delete(big);

        InputValidator.Result result;
        S3FileContentStore content =
                new S3FileContentStore(serving.s3, serving.clients.s3Presigner(), LocalRuntime.BUCKET);
        try (InputStream input = content.open(key)) {
            result = new InputValidator(
                            InputValidator.Limits.OPENAI, new S3ChunkStore(serving.s3, LocalRuntime.BUCKET, content))
                    .validate("batch_big", ENDPOINT, input);
        } finally {
            content.delete(key);
        }

        assertThat(result)
                .isEqualTo(new InputValidator.Result.Invalid(List.of(new dev.openbatch.core.api.Batch.Error(
                        "file_too_large", "The input file is larger than the limit of 200000000 bytes.", null, null))));
        assertThat(serving.objects("batches/batch_big/"))
                .as("the 100 chunks cut before the last byte")
                .isEmpty();
        serving.assertServing();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Arrays.stream(parts).forEach(out::writeBytes);
        return out.toByteArray();
    }
}
