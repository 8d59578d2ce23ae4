package dev.openbatch.aws;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.openbatch.core.pipeline.ChunkMessage;
import dev.openbatch.core.pipeline.PartCounts;
import dev.openbatch.core.pipeline.RunChunk;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.sfn.SfnClient;

/**
 * The chunk worker, fed by the chunk queue: runs each message's chunk, then tells the waiting Map
 * iteration it is done. The invocation's remaining time is the run's deadline: a chunk that needs
 * longer stops at a checkpoint and goes on in a fresh message (see {@link Redelivery#goOn}). A
 * message that fails is reported as a batch item failure and hidden for a while (see
 * {@link Redelivery}), so SQS delivers it again — and, after the queue's limit, to the dead-letter
 * queue, where {@link DeadLetterHandler} ends its lines — without redelivering the others.
 * A chunk whose job's capacity is taken is not run: it goes back to the queue for a moment, a new
 * message that has not used up any of its deliveries, and this worker is free for another job's chunk.
 */
public final class WorkerHandler extends ChunkMessageHandler {

    /** How long a chunk put off for want of capacity waits before a worker may take it again. */
    static final Duration NO_CAPACITY_DELAY = Duration.ofSeconds(2);

    private final RunChunk runChunk;
    private final Redelivery redelivery;

    public WorkerHandler() {
        this(Wiring.fromEnvironment());
    }

    public WorkerHandler(Wiring wiring) {
        this(
                wiring.runChunk(),
                wiring.sfn(),
                new Redelivery(wiring.sqs(), wiring.retries().chunkRetryDelay()));
    }

    WorkerHandler(RunChunk runChunk, SfnClient sfn, Redelivery redelivery) {
        super(sfn);
        this.runChunk = runChunk;
        this.redelivery = redelivery;
    }

    @Override
    Optional<PartCounts> settle(ChunkMessage message, Context context) throws InterruptedException {
        RunChunk.Outcome outcome = runChunk.run(
                message.tenant(),
                message.batchId(),
                message.chunk(),
                message.chunksAtOnce(),
                () -> Duration.ofMillis(context.getRemainingTimeInMillis()));
        if (!outcome.progressed()) {
            throw new IllegalStateException("chunk " + message.chunk().index() + " of " + message.batchId()
                    + " ended none of its " + outcome.left() + " lines in a whole invocation");
        }
        return Optional.ofNullable(outcome.counts());
    }

    @Override
    void goOn(SQSEvent.SQSMessage message) {
        redelivery.goOn(message);
    }

    @Override
    List<SQSEvent.SQSMessage> deferred(List<SQSEvent.SQSMessage> messages) {
        return messages.stream()
                .filter(m -> !redelivery.again(m, NO_CAPACITY_DELAY))
                .toList();
    }

    @Override
    void failed(List<SQSEvent.SQSMessage> messages) {
        messages.forEach(redelivery::later);
    }
}
