package dev.openbatch.aws;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.openbatch.core.Json;
import dev.openbatch.core.pipeline.Sweep;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The sweeper, run on a schedule (an EventBridge rule in the cloud, a timer locally): one sweep per
 * invocation, whatever the event says; what it did is its answer and its log line.
 */
public final class SweeperHandler implements RequestStreamHandler {

    private static final System.Logger LOG = System.getLogger(SweeperHandler.class.getName());

    private final Sweep sweep;

    public SweeperHandler() {
        this(Wiring.fromEnvironment(), Settings.sweepBounds(System.getenv()));
    }

    public SweeperHandler(Wiring wiring, Sweep.Bounds bounds) {
        this(wiring.sweep(bounds));
    }

    SweeperHandler(Sweep sweep) {
        this.sweep = sweep;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Sweep.Report report = sweep.run();
        LOG.log(System.Logger.Level.INFO, "sweep: " + report);
        Json.MAPPER.writeValue(output, report);
    }
}
