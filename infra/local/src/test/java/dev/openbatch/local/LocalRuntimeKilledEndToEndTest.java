package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.batches.Batch;
import com.openai.models.files.FileObject;
import dev.openbatch.reference.Options;
import dev.openbatch.reference.ReferenceEndpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * The local runtime, started as bin/local starts it, killed with SIGKILL in the middle of a batch
 * and started again on the same data directory: the batch goes on from where its execution stood.
 */
class LocalRuntimeKilledEndToEndTest {

    private static final String CHAT = "/v1/chat/completions";
    private static final int LINES = 1000;
    private static final int CHUNK_LINES = 100;
    /** bin/local's default: chunks of one batch in flight at once. */
    private static final int MAP_CONCURRENCY = 10;

    private static final IntFunction<String> BODY =
            i -> "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"line " + i + "\"}]}";

    private static OpenAIClient client(LocalProcess local) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(local.baseUrl())
                .apiKey("sk-local")
                .maxRetries(0)
                .build();
    }

    @Test
    void killedMidBatch_andStartedAgain_finishesIt_withEachCustomIdOnce_andFilesAndBatchesAllThere()
            throws IOException {
        Path dataDir = Files.createTempDirectory("openbatch-killed");
        // The endpoint lives outside the runtime, so it outlives the kill and counts every request made.
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(
                Options.builder().latency(Duration.ofMillis(100)).build())) {
            // 20 requests in flight for the whole runtime (capacity leases share them among the chunks that run).
            String[] options = {
                "--endpoint",
                endpoint.baseUrl().toString(),
                "--chunk-lines",
                Integer.toString(CHUNK_LINES),
                "--concurrency",
                "20"
            };
            LocalProcess first = LocalProcess.start(dataDir, options);
            Batch earlier;
            String batchId;
            try {
                OpenAIClient client = client(first);
                earlier = AwaitBatch.ended(client, SdkBatches.submit(client, CHAT, 4, BODY), Duration.ofMinutes(1));
                batchId = SdkBatches.submit(client, CHAT, LINES, BODY);
                Poll.until(
                        Duration.ofMinutes(1),
                        "chunk counted",
                        () -> client.batches()
                                .retrieve(batchId)
                                .requestCounts()
                                .map(counts -> counts.completed() > 0)
                                .orElse(false));
                assertThat(client.batches().retrieve(batchId).status()).isEqualTo(Batch.Status.IN_PROGRESS);
            } finally {
                first.kill();
            }

            try (LocalProcess second = LocalProcess.start(dataDir, options)) {
                OpenAIClient client = client(second);
                Batch batch = AwaitBatch.ended(client, batchId, Duration.ofMinutes(3));

                assertThat(second.output()).contains("resumed:            1 ");
                assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
                SdkBatches.endings(client, batch, LINES);
                assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(LINES);
                assertThat(endpoint.stats().requests())
                        .as("a kill costs at most the lines of the chunks in flight")
                        .isBetween((long) LINES + 4, (long) LINES + 4 + MAP_CONCURRENCY * CHUNK_LINES);

                assertThat(client.batches().retrieve(earlier.id())).isEqualTo(earlier);
                assertThat(SdkBatches.lines(client, earlier.outputFileId().orElseThrow()))
                        .hasSize(4);
                assertThat(client.files().list().data())
                        .extracting(FileObject::id)
                        .contains(
                                earlier.inputFileId(),
                                earlier.outputFileId().orElseThrow(),
                                batch.inputFileId(),
                                batch.outputFileId().orElseThrow());
                assertThat(client.batches().list().data()).extracting(Batch::id).contains(earlier.id(), batchId);
            }
        }
    }
}
