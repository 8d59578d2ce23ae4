package dev.openbatch.local;

import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import java.time.Duration;
import java.util.Set;

/** Polls a batch, as a user does, until it has ended; fails past the deadline. */
final class AwaitBatch {

    static final Set<Batch.Status> ENDED =
            Set.of(Batch.Status.COMPLETED, Batch.Status.FAILED, Batch.Status.EXPIRED, Batch.Status.CANCELLED);

    private AwaitBatch() {}

    static Batch ended(OpenAIClient client, String batchId, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            Batch batch = client.batches().retrieve(batchId);
            if (ENDED.contains(batch.status())) {
                return batch;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("batch " + batchId + " still " + batch.status() + " after " + within);
            }
            pause();
        }
    }

    static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
