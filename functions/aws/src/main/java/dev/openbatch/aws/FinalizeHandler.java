package dev.openbatch.aws;

import dev.openbatch.core.pipeline.FinalizeBatch;

/** The state machine's Finalize step, and its Catch: ends a batch whose run failed. */
public final class FinalizeHandler extends JsonStepHandler {

    public FinalizeHandler() {
        this(Wiring.fromEnvironment());
    }

    public FinalizeHandler(Wiring wiring) {
        this(wiring.finalizeBatch());
    }

    FinalizeHandler(FinalizeBatch finalize) {
        super(input -> input.error() != null
                ? finalize.fail(
                        input.tenant(),
                        input.batchId(),
                        input.chunkCount(),
                        input.error().error(),
                        input.error().cause())
                : finalize.run(input.tenant(), input.batchId(), input.chunkCount()));
    }
}
