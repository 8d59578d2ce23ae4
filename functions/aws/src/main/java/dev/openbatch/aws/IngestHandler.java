package dev.openbatch.aws;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.openbatch.core.Json;
import dev.openbatch.core.ingest.DropNotice;
import dev.openbatch.core.ingest.Ingest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.Function;

/**
 * S3-drop submission, fed by an EventBridge rule on "Object Created" under {@code incoming/} of the
 * ingest bucket (the local runtime's watcher sends the same events). A drop that cannot be a batch
 * is answered with a {@code batch.json}, not an error; only a failure worth retrying (S3, DynamoDB or
 * Step Functions unreachable) is thrown, for Lambda's asynchronous retries.
 */
public final class IngestHandler implements RequestStreamHandler {

    private static final System.Logger LOG = System.getLogger(IngestHandler.class.getName());

    private final Function<DropNotice, Ingest.Outcome> ingest;

    public IngestHandler() {
        this(Wiring.fromEnvironment());
    }

    public IngestHandler(Wiring wiring) {
        this(wiring.ingest()::submit);
    }

    IngestHandler(Function<DropNotice, Ingest.Outcome> ingest) {
        this.ingest = ingest;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        ObjectCreatedEvent event = Json.MAPPER.readValue(input, ObjectCreatedEvent.class);
        Ingest.Outcome outcome = event.isObjectCreated()
                ? ingest.apply(event.notice())
                : Ingest.Outcome.ignored("not an S3 Object Created event: " + event.detailType());
        LOG.log(System.Logger.Level.INFO, "event " + event.id() + ": " + Json.writeString(outcome));
        Json.MAPPER.writeValue(output, outcome);
    }
}
