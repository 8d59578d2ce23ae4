package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.core.fakes.InMemoryChunkStore;
import dev.openbatch.core.fakes.TestApi;
import org.junit.jupiter.api.Test;

/** The Validate step spreads a batch over the Map's concurrency, so that its chunks run in one wave. */
class ValidateBatchSpreadTest {

    private final TestApi t = new TestApi();

    private String createBatch(int lines) {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            // Ids of one width: lines of one length, so that a fifth of the bytes is a fifth of the lines.
            file.append("{\"custom_id\":\"r")
                    .append(String.format(java.util.Locale.ROOT, "%03d", i))
                    .append(
                            "\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"e\",\"input\":\"x\"}}\n");
        }
        return t.createBatch(file.toString(), "/v1/embeddings", "24h");
    }

    private ValidateBatch validate(int chunkLines, int mapConcurrency) {
        return new ValidateBatch(
                t.batchRecords,
                t.content,
                new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(chunkLines), new InMemoryChunkStore()),
                mapConcurrency,
                t.clock);
    }

    @Test
    void aBatchOfMoreChunksThanTheMapRunsAtOnce_isSpreadOverAsManyAsItRuns_allStartedAtOnce() {
        // 60 lines at 3 a chunk would be 20 chunks, four waves of five.
        ValidateBatch.Outcome outcome = validate(3, 5).run(TestApi.TENANT, createBatch(60));

        assertThat(outcome.chunks()).extracting(Chunk::lines).containsExactly(12, 12, 12, 12, 12);
        assertThat(outcome.chunksAtOnce()).isEqualTo(outcome.chunkCount()).isEqualTo(5);
    }

    @Test
    void aBatchOfFewerLinesThanTheMapCouldSpread_keepsChunksOfChunkLines() {
        ValidateBatch.Outcome outcome = validate(25, 10).run(TestApi.TENANT, createBatch(60));

        assertThat(outcome.chunks()).extracting(Chunk::lines).containsExactly(25, 25, 10);
    }
}
