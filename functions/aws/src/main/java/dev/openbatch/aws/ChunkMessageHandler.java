package dev.openbatch.aws;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.openbatch.core.Json;
import dev.openbatch.core.capacity.NoCapacity;
import dev.openbatch.core.pipeline.ChunkMessage;
import dev.openbatch.core.pipeline.PartCounts;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.InvalidTokenException;
import software.amazon.awssdk.services.sfn.model.TaskDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.TaskTimedOutException;

/**
 * A function fed by a queue of chunk messages: settles each message's chunk, then tells the Map
 * iteration waiting on its task token that the chunk is done — or, when the invocation's time ran
 * out first, has the chunk go on in a later one. A message that fails is reported as a batch item
 * failure, so SQS delivers it again without delivering the others again.
 */
abstract class ChunkMessageHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {

    private static final System.Logger LOG = System.getLogger(ChunkMessageHandler.class.getName());

    private final SfnClient sfn;

    ChunkMessageHandler(SfnClient sfn) {
        this.sfn = sfn;
    }

    /**
     * Ends the chunk's lines, writing its part unless it is whole already, and answers its counts;
     * empty when the invocation's time ran out first and the chunk goes on from its checkpoint.
     */
    abstract Optional<PartCounts> settle(ChunkMessage message, Context context) throws InterruptedException;

    /** Has a chunk whose run stopped at its checkpoint go on in a later invocation. */
    void goOn(SQSEvent.SQSMessage message) {
        throw new IllegalStateException("chunk message " + message.getMessageId() + " cannot go on later");
    }

    /** Called with the messages that failed, before they are reported. */
    void failed(List<SQSEvent.SQSMessage> messages) {}

    /**
     * Called with the messages whose chunks were not started for want of their job's capacity; answers
     * those that could not be put off, which then count as failed.
     */
    List<SQSEvent.SQSMessage> deferred(List<SQSEvent.SQSMessage> messages) {
        return messages;
    }

    @Override
    public final SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        List<SQSEvent.SQSMessage> failed = new ArrayList<>();
        List<SQSEvent.SQSMessage> deferred = new ArrayList<>();
        boolean interrupted = false;
        for (SQSEvent.SQSMessage message : event.getRecords()) {
            if (interrupted) {
                failed.add(message);
                continue;
            }
            try {
                report(message, Json.MAPPER.readValue(message.getBody(), ChunkMessage.class), context);
            } catch (InterruptedException e) {
                // The invocation is being stopped: this message and those after it go back to the queue.
                interrupted = true;
                failed.add(message);
            } catch (NoCapacity e) {
                LOG.log(System.Logger.Level.DEBUG, "chunk message " + message.getMessageId() + ": " + e.getMessage());
                deferred.add(message);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.ERROR, "chunk message " + message.getMessageId() + " failed", e);
                failed.add(message);
            }
        }
        if (!deferred.isEmpty()) {
            failed.addAll(deferred(deferred));
        }
        if (!failed.isEmpty()) {
            failed(failed);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return new SQSBatchResponse(failed.stream()
                .map(m -> new SQSBatchResponse.BatchItemFailure(m.getMessageId()))
                .toList());
    }

    private void report(SQSEvent.SQSMessage delivered, ChunkMessage message, Context context)
            throws InterruptedException {
        Optional<PartCounts> settled = settle(message, context);
        if (settled.isEmpty()) {
            goOn(delivered);
            return;
        }
        PartCounts counts = settled.get();
        try {
            sfn.sendTaskSuccess(b -> b.taskToken(message.taskToken()).output(Json.writeString(counts)));
        } catch (TaskDoesNotExistException | InvalidTokenException | TaskTimedOutException e) {
            // The iteration has ended already (a duplicate delivery, or the run stopped): the part stands.
            LOG.log(
                    System.Logger.Level.INFO,
                    "chunk " + message.chunk().index() + " of " + message.batchId() + ": its task has ended ("
                            + e.getClass().getSimpleName() + ")");
        }
    }
}
