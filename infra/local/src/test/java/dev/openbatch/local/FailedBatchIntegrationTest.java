package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchError;
import dev.openbatch.reference.Options;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A batch whose run fails outright, through the whole local runtime and the state machine's Catch:
 * what its owner reads in {@code errors} says what went wrong in words — no exception's name, no
 * stack trace, no S3 key, no state machine error name.
 */
class FailedBatchIntegrationTest {

    private static final String CHAT = "/v1/chat/completions";
    private static final LocalRuntimes runtimes = new LocalRuntimes();

    @AfterAll
    static void stop() {
        runtimes.close();
    }

    @Test
    void aBatchWhoseFinalizerFailsOnEveryAttempt_failsWithAMessageForItsOwner_notTheInternalError() {
        // The Finalize step fails every time it is tried (the Catch's MarkFailed, which carries the error, runs).
        UnaryOperator<Function<JsonNode, JsonNode>> failing = finalizer -> payload -> {
            if (!payload.has("error")) {
                throw new IllegalStateException("chunk 0 of batch_x has no part: s3://openbatch-data/batches/batch_x/"
                        + "parts/00000/counts.json");
            }
            return finalizer.apply(payload);
        };
        LocalRuntime runtime = runtimes.start(
                LocalRuntimes.options(Options.defaults(), 2, 10, 1, Duration.ofHours(24), 1),
                new LocalRuntime.Interceptors(
                        f -> f, failing, UnaryOperator.<RequestHandler<SQSEvent, SQSBatchResponse>>identity()));
        OpenAIClient client = LocalRuntimes.client(runtime);

        Batch batch = AwaitBatch.ended(
                client,
                SdkBatches.submit(
                        client,
                        CHAT,
                        5,
                        i -> "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"line " + i + "\"}]}"),
                Duration.ofMinutes(2));

        assertThat(batch.status()).isEqualTo(Batch.Status.FAILED);
        List<BatchError> errors = batch.errors().orElseThrow().data().orElseThrow();
        assertThat(errors).hasSize(1);
        assertThat(errors.getFirst().code()).contains("batch_failed");
        assertThat(errors.getFirst().message().orElseThrow())
                .startsWith("An internal error stopped the batch.")
                .doesNotContain(
                        "java", "Exception", "s3://", "batches/", "States.", "Lambda", "errorType", "counts.json");
    }
}
