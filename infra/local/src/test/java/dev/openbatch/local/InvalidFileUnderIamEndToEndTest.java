package dev.openbatch.local;

import static dev.openbatch.local.ServingRuntime.ENDPOINT;
import static dev.openbatch.local.ServingRuntime.goodLine;
import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchError;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An invalid file whose bad line comes after a whole chunk, run as a user runs it (the official
 * OpenAI SDK against the local runtime, every function under its deployed role): the validator has
 * already written that chunk when it reads the bad line, must remove it, and may (DeleteObjects
 * needs {@code s3:DeleteObject} on each key) — so the batch ends {@code failed} with the line's own
 * error, not with the Step Functions cause of a validator that failed on every retry.
 */
class InvalidFileUnderIamEndToEndTest {

    /** The deployed default: the 549 good lines before the bad one make a whole chunk and part of another. */
    private static final int CHUNK_LINES = 500;

    private static final int LINES = 600;
    private static final int BAD_LINE = 550;

    private static ServingRuntime serving;

    @BeforeAll
    static void start() {
        serving = ServingRuntime.start(CHUNK_LINES);
    }

    @AfterAll
    static void stop() {
        serving.close();
    }

    @Test
    void aBadLineAfterAWholeChunk_failsTheBatchWithThatLinesError_andLeavesNoChunk() {
        StringBuilder file = new StringBuilder();
        for (int line = 1; line <= LINES; line++) {
            file.append(
                            line == BAD_LINE
                                    ? goodLine("bad").replace("\"method\":\"POST\"", "\"method\":\"GET\"")
                                    : goodLine("line-" + line))
                    .append('\n');
        }

        Batch batch = AwaitBatch.ended(
                serving.client,
                SdkBatches.submit(serving.client, ENDPOINT, file.toString()),
                ServingRuntime.BATCH_ENDS_WITHIN);

        assertThat(batch.status()).isEqualTo(Batch.Status.FAILED);
        List<BatchError> errors = batch.errors().orElseThrow().data().orElseThrow();
        assertThat(errors).hasSize(1);
        assertThat(errors.getFirst().code()).hasValue("invalid_method");
        assertThat(errors.getFirst().param()).hasValue("method");
        assertThat(errors.getFirst().line()).hasValue((long) BAD_LINE);
        assertThat(errors.getFirst().message())
                .hasValueSatisfying(m -> assertThat(m).contains("only POST is supported"));
        assertThat(serving.objects("batches/" + batch.id() + "/"))
                .as("the chunk cut before the bad line")
                .isEmpty();
        serving.assertServing();
    }
}
