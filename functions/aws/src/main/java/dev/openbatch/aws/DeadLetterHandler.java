package dev.openbatch.aws;

import com.amazonaws.services.lambda.runtime.Context;
import dev.openbatch.core.pipeline.ChunkMessage;
import dev.openbatch.core.pipeline.PartCounts;
import dev.openbatch.core.pipeline.RunChunk;
import java.util.Optional;
import software.amazon.awssdk.services.sfn.SfnClient;

/**
 * Fed by the chunk queue's dead-letter queue: a chunk whose message failed on every delivery the
 * queue allows ends with each of its lines in the error file as {@code chunk_failed} (a part that
 * was written whole after all stands), and the Map iteration waiting on its token is told it is
 * done, so the batch still finalizes. A message that fails here is delivered again after the
 * dead-letter queue's visibility timeout.
 */
public final class DeadLetterHandler extends ChunkMessageHandler {

    private static final System.Logger LOG = System.getLogger(DeadLetterHandler.class.getName());

    private final RunChunk runChunk;

    public DeadLetterHandler() {
        this(Wiring.fromEnvironment());
    }

    public DeadLetterHandler(Wiring wiring) {
        this(wiring.abandonChunks(), wiring.sfn());
    }

    DeadLetterHandler(RunChunk runChunk, SfnClient sfn) {
        super(sfn);
        this.runChunk = runChunk;
    }

    @Override
    Optional<PartCounts> settle(ChunkMessage message, Context context) {
        LOG.log(
                System.Logger.Level.WARNING,
                "chunk " + message.chunk().index() + " of " + message.batchId()
                        + " failed on every delivery; its lines end as chunk_failed");
        return Optional.of(runChunk.abandon(message.tenant(), message.batchId(), message.chunk()));
    }
}
