package dev.openbatch.core.pipeline;

import static dev.openbatch.core.fakes.Responses.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.core.api.Batch;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.fakes.TestApi;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.http.ApiRequest;
import dev.openbatch.core.http.ApiResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchResultsTest {

    private final TestApi t = new TestApi();
    private final String batchId = createBatch();

    private String createBatch() {
        return t.createBatch("{}\n", "/v1/chat/completions", "24h");
    }

    private void inProgress(int chunks) {
        t.batchRecords.transition(
                TestApi.TENANT, batchId, Set.of("validating"), "in_progress", Map.of("in_progress_at", 1L), 9L, null);
        for (int i = 0; i < chunks; i++) {
            t.chunks.writeChunk(batchId, i, "{}\n{}\n{}\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String line(String customId, int status) {
        return "{\"id\":\"batch_req_" + customId + "\",\"custom_id\":\"" + customId
                + "\",\"response\":{\"status_code\":" + status + ",\"request_id\":\"r\",\"body\":{}},\"error\":null}";
    }

    /** A segment as ChunkLog writes one: the header naming each line's offset and side, then the lines. */
    private static byte[] segment(String header, String... lines) {
        return (header + "\n" + String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private ApiResponse get(String side) {
        return t.send("GET", "/v1/batches/" + batchId + "/" + side);
    }

    private static String text(ApiResponse response) {
        assertThat(response.status()).isEqualTo(200);
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    @Test
    void whileRunning_theLinesEndedSoFar_fromWholePartsAndRunningLogs_eachOnce_byChunkThenLine() {
        inProgress(3);
        // Chunk 0 is whole: its part, as written.
        t.chunks.writePart(
                batchId,
                0,
                (line("c0-0", 200) + "\n" + line("c0-2", 200) + "\n").getBytes(StandardCharsets.UTF_8),
                (line("c0-1", 400) + "\n").getBytes(StandardCharsets.UTF_8),
                new PartCounts(2, 1, 0));
        // Chunk 1 runs, raced by a second run: offset 0 ended in segment 0 as an error, and again in
        // segment 1 as an output; offset 1 in segments 1 and 2. The first segment holding a line wins.
        t.chunks.writeSegment(
                batchId, 1, 0, segment("{\"offsets\":[2,0],\"kinds\":\"oe\"}", line("c1-2", 200), line("c1-0", 500)));
        t.chunks.writeSegment(
                batchId,
                1,
                1,
                segment("{\"offsets\":[0,1],\"kinds\":\"oo\"}", line("c1-0-again", 200), line("c1-1", 200)));
        t.chunks.writeSegment(batchId, 1, 2, segment("{\"offsets\":[1],\"kinds\":\"x\"}", line("c1-1-again", 408)));
        // Chunk 2 has not started.

        assertThat(text(get("output")))
                .isEqualTo(line("c0-0", 200) + "\n" + line("c0-2", 200) + "\n" + line("c1-1", 200) + "\n"
                        + line("c1-2", 200) + "\n");
        assertThat(text(get("errors"))).isEqualTo(line("c0-1", 400) + "\n" + line("c1-0", 500) + "\n");

        // The chunk's part, once written, says the same: a read after it sees the same lines.
        ChunkLog log = ChunkLog.read(t.chunks, batchId, new Chunk(1, 4, 3));
        assertThat(log.whole()).isTrue();
        log.writePart();
        assertThat(text(get("output")))
                .isEqualTo(line("c0-0", 200) + "\n" + line("c0-2", 200) + "\n" + line("c1-1", 200) + "\n"
                        + line("c1-2", 200) + "\n");
    }

    @Test
    void whileValidating_anEmptyBody() {
        assertThat(text(get("output"))).isEmpty();
        assertThat(text(get("errors"))).isEmpty();
    }

    @Test
    void onceEnded_exactlyTheBatchsFiles_andNothingForASideWithoutOne() {
        inProgress(1);
        byte[] output = (line("a", 200) + "\n").getBytes(StandardCharsets.UTF_8);
        String outputId = t.batchRecords.reserveFileId(TestApi.TENANT, batchId, "output_file_id", "file-out");
        t.content.put(Files.contentKey(outputId), output, Files.JSONL);
        t.fileRecords.create(TestApi.TENANT, FileObject.stored(outputId, output.length, 1, "o.jsonl", "batch_output"));
        t.batchRecords.transition(
                TestApi.TENANT,
                batchId,
                Set.of("in_progress"),
                Batch.Status.COMPLETED,
                Map.of("completed_at", 2L),
                null,
                null);
        // What the chunks held no longer counts: the files do.
        t.chunks.writeSegment(batchId, 0, 0, segment("{\"offsets\":[0],\"kinds\":\"o\"}", line("stale", 200)));

        assertThat(get("output").body()).isEqualTo(output);
        assertThat(text(get("errors"))).isEmpty();
    }

    @Test
    void aRunningAnswerAboveTheInlineLimit_isASnapshot_behindA302() {
        inProgress(2);
        String big = line("big", 200).replace("{}", "{\"text\":\"" + "x".repeat(3_000_000) + "\"}");
        t.chunks.writePart(
                batchId, 0, (big + "\n").getBytes(StandardCharsets.UTF_8), new byte[0], new PartCounts(1, 0, 0));
        t.chunks.writeSegment(batchId, 1, 0, segment("{\"offsets\":[0],\"kinds\":\"o\"}", big));

        ApiResponse response = get("output");

        assertThat(response.status()).isEqualTo(302);
        URI location = URI.create(response.headers().get("location"));
        String key = location.getPath().substring(1);
        assertThat(key).startsWith("batches/" + batchId + "/snapshots/output-");
        assertThat(new String(t.content.objects.get(key), StandardCharsets.UTF_8))
                .isEqualTo(big + "\n" + big + "\n");
    }

    @Test
    void anotherTenantsBatch_is404() {
        ApiResponse response = t.api.handle(new ApiRequest(
                "GET", "/v1/batches/" + batchId + "/output", Map.of(), Map.of(), new byte[0], TestApi.OTHER_TENANT));

        assertThat(error(response, 404).get("param").asText()).isEqualTo("batch_id");
    }
}
