package dev.openbatch.aws;

import dev.openbatch.core.pipeline.ValidateBatch;

/** The state machine's Validate step. */
public final class ValidateHandler extends JsonStepHandler {

    public ValidateHandler() {
        this(Wiring.fromEnvironment());
    }

    public ValidateHandler(Wiring wiring) {
        this(wiring.validateBatch());
    }

    ValidateHandler(ValidateBatch validate) {
        super(input -> validate.run(input.tenant(), input.batchId()));
    }
}
