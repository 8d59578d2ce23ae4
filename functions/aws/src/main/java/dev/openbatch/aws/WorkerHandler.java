package dev.openbatch.aws;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.openbatch.core.Json;
import dev.openbatch.core.pipeline.ChunkMessage;
import dev.openbatch.core.pipeline.PartCounts;
import dev.openbatch.core.pipeline.RunChunk;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.InvalidTokenException;
import software.amazon.awssdk.services.sfn.model.TaskDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.TaskTimedOutException;

/**
 * The chunk worker, fed by the chunk queue: runs each message's chunk, then tells the waiting Map
 * iteration it is done. A message that fails is reported as a batch item failure, so SQS delivers
 * it again (and, after the queue's limit, to the dead-letter queue) without redelivering the others.
 */
public final class WorkerHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {

    private static final System.Logger LOG = System.getLogger(WorkerHandler.class.getName());

    private final RunChunk runChunk;
    private final SfnClient sfn;

    public WorkerHandler() {
        this(Wiring.fromEnvironment());
    }

    public WorkerHandler(Wiring wiring) {
        this(wiring.runChunk(), wiring.sfn());
    }

    WorkerHandler(RunChunk runChunk, SfnClient sfn) {
        this.runChunk = runChunk;
        this.sfn = sfn;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        for (SQSEvent.SQSMessage message : event.getRecords()) {
            try {
                process(Json.MAPPER.readValue(message.getBody(), ChunkMessage.class));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failures.add(new SQSBatchResponse.BatchItemFailure(message.getMessageId()));
            } catch (Exception e) {
                LOG.log(System.Logger.Level.ERROR, "chunk message " + message.getMessageId() + " failed", e);
                failures.add(new SQSBatchResponse.BatchItemFailure(message.getMessageId()));
            }
        }
        return new SQSBatchResponse(failures);
    }

    private void process(ChunkMessage message) throws InterruptedException {
        PartCounts counts = runChunk.run(message.tenant(), message.batchId(), message.chunk());
        try {
            sfn.sendTaskSuccess(b -> b.taskToken(message.taskToken()).output(Json.writeString(counts)));
        } catch (TaskDoesNotExistException | InvalidTokenException | TaskTimedOutException e) {
            // The iteration has ended already (a duplicate delivery, or the run stopped): the part stands.
            LOG.log(System.Logger.Level.INFO, "chunk " + message.chunk().index() + " of " + message.batchId()
                    + ": its task has ended (" + e.getClass().getSimpleName() + ")");
        }
    }
}
