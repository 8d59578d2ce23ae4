package dev.openbatch.aws;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.openbatch.core.Json;
import dev.openbatch.core.pipeline.StepInput;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.Function;

/**
 * A state machine step invoked through {@code lambda:invoke}: the step's input JSON in, the use
 * case's answer as JSON out, both through the service's own mapper.
 */
abstract class JsonStepHandler implements RequestStreamHandler {

    private final Function<StepInput, Object> step;

    JsonStepHandler(Function<StepInput, Object> step) {
        this.step = step;
    }

    @Override
    public final void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        StepInput request = Json.MAPPER.readValue(input, StepInput.class);
        Json.MAPPER.writeValue(output, step.apply(request));
    }
}
