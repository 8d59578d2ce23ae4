package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.core.Json;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.fakes.InMemoryChunkStore;
import dev.openbatch.core.fakes.MutableClock;
import dev.openbatch.core.fakes.TestApi;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How long the state machine's chunk task waits, as the validator tells it: the batch's window, or 30 days. */
class ValidateBatchChunkTimeoutTest {

    private final TestApi t = new TestApi();
    private final MutableClock clock = new MutableClock(t.clock.instant());
    private final ValidateBatch validate = new ValidateBatch(
            t.batchRecords,
            t.content,
            new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(3), new InMemoryChunkStore()),
            5,
            clock);

    private String createBatch(String window) {
        String line = "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"e\","
                + "\"input\":\"x\"}}\n";
        return t.createBatch(line, "/v1/embeddings", window);
    }

    @Test
    void a24hBatch_validatedAnHourIn_waitsForItsChunksTheRestOfItsWindowAndTheGrace() {
        String batchId = createBatch("24h");
        clock.advance(Duration.ofHours(1));

        ValidateBatch.Outcome outcome = validate.run(TestApi.TENANT, batchId);

        assertThat(outcome.chunkTimeoutSeconds())
                .isEqualTo(Batches.WINDOW_24H.minusHours(1).toSeconds() + ValidateBatch.WINDOW_GRACE_SECONDS);
        assertThat(Json.MAPPER.valueToTree(outcome).get("chunk_timeout_seconds").asLong())
                .isEqualTo(outcome.chunkTimeoutSeconds());
    }

    @Test
    void a24hBatchValidatedPastItsWindow_waitsTheGrace_soItsChunksStillRunAndEndExpired() {
        String batchId = createBatch("24h");
        clock.advance(Batches.WINDOW_24H.plusMinutes(5));

        assertThat(validate.run(TestApi.TENANT, batchId).chunkTimeoutSeconds())
                .isEqualTo(ValidateBatch.WINDOW_GRACE_SECONDS);
    }

    @Test
    void anUnlimitedBatch_waitsForItsChunksThirtyDays() {
        String batchId = createBatch("unlimited");

        assertThat(validate.run(TestApi.TENANT, batchId).chunkTimeoutSeconds())
                .isEqualTo(ValidateBatch.UNLIMITED_CHUNK_WAIT_SECONDS)
                .isEqualTo(Duration.ofDays(30).toSeconds());
    }
}
