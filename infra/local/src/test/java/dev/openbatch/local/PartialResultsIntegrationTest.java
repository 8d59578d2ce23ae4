package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.core.http.HttpResponse;
import com.openai.models.batches.Batch;
import dev.openbatch.reference.Options;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/batches/{id}/output} and {@code .../errors} through the local runtime while a batch
 * runs on a slow endpoint: read again and again as a user polls, each answer holds each line once,
 * holds every line the answer before held, grows, and once the batch has ended is its file, exactly.
 */
class PartialResultsIntegrationTest {

    private static final String CHAT = "/v1/chat/completions";
    private static final int LINES = 40;

    private static final LocalRuntimes runtimes = new LocalRuntimes();
    private final HttpClient http =
            HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();

    @AfterAll
    static void stop() {
        runtimes.close();
    }

    @Test
    void partialOutput_readDuringARun_growsWithEachLineOnce_andIsTheOutputFileAtTheEnd() throws Exception {
        LocalRuntime runtime = runtimes.start(LocalRuntimes.options(
                Options.builder().latency(Duration.ofMillis(250)).build(), 2, 4, 2, Duration.ofHours(24), 1));
        OpenAIClient client = LocalRuntimes.client(runtime);
        String batchId = SdkBatches.submit(
                client,
                CHAT,
                LINES,
                i -> "{\"model\":\""
                        + (i % 9 == 4 ? "error-400" : "m") + "\",\"messages\":[{\"role\":\"user\",\"content\":\"line "
                        + i
                        + "\"}]}");

        List<List<String>> readsWhileRunning = new ArrayList<>();
        Batch batch;
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!AwaitBatch.ENDED.contains((batch = client.batches().retrieve(batchId)).status())) {
            assertThat(System.nanoTime()).as("the batch ends in time").isLessThan(deadline);
            List<String> output = lines(get(runtime, batchId, "output"));
            List<String> errors = lines(get(runtime, batchId, "errors"));
            // What the answers were read between: a run that was going before and after.
            Batch.Status after = client.batches().retrieve(batchId).status();
            if (!batch.status().equals(Batch.Status.VALIDATING) && after.equals(Batch.Status.IN_PROGRESS)) {
                List<String> read = new ArrayList<>(output);
                read.addAll(errors);
                assertThat(new HashSet<>(customIds(read))).as("each line once").hasSize(read.size());
                if (!readsWhileRunning.isEmpty()) {
                    assertThat(read)
                            .as("a read holds what the read before held")
                            .containsAll(readsWhileRunning.getLast());
                }
                readsWhileRunning.add(read);
            } else if (after.equals(Batch.Status.VALIDATING)) {
                assertThat(output).as("nothing before the batch runs").isEmpty();
                assertThat(errors).isEmpty();
            }
            AwaitBatch.pause();
        }

        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        List<Integer> sizes =
                readsWhileRunning.stream().map(List::size).distinct().toList();
        assertThat(sizes.stream().filter(size -> size > 0 && size < LINES).count())
                .as("reads of a growing, unfinished answer: %s", sizes)
                .isGreaterThanOrEqualTo(3);
        String outputFile = content(client, batch.outputFileId().orElseThrow());
        String errorFile = content(client, batch.errorFileId().orElseThrow());
        assertThat(get(runtime, batchId, "output")).isEqualTo(outputFile);
        assertThat(get(runtime, batchId, "errors")).isEqualTo(errorFile);
        List<String> all = new ArrayList<>(lines(outputFile));
        all.addAll(lines(errorFile));
        assertThat(all).hasSize(LINES).containsAll(readsWhileRunning.getLast());
        assertThat(lines(errorFile)).as("the error-400 lines").hasSize(4);
    }

    private String get(LocalRuntime runtime, String batchId, String side) throws Exception {
        java.net.http.HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(runtime.apiBase() + "/batches/" + batchId + "/" + side))
                        .header("Authorization", "Bearer sk-local")
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    private static List<String> lines(String jsonl) {
        return jsonl.lines().toList();
    }

    private static List<String> customIds(List<String> lines) {
        return lines.stream()
                .map(line -> line.replaceAll(".*\"custom_id\":\"([^\"]+)\".*", "$1"))
                .toList();
    }

    private static String content(OpenAIClient client, String fileId) {
        try (HttpResponse content = client.files().content(fileId);
                InputStream body = content.body()) {
            return new String(body.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
