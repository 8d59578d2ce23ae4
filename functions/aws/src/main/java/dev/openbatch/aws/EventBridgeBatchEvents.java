package dev.openbatch.aws;

import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.batches.BatchEvents;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;

/**
 * A batch's status changes on an EventBridge bus (the account's default bus in a deployment): source
 * {@code openbatch}, detail-type {@code Batch Status Changed}, detail the Batch object as the API
 * answers it, so a rule can match {@code detail.status}. The change has been written before it is
 * published; a PutEvents that fails after the SDK's retries is logged, not thrown, so no batch is held
 * back by its event.
 */
final class EventBridgeBatchEvents implements BatchEvents {

    static final String SOURCE = "openbatch";
    static final String DETAIL_TYPE = "Batch Status Changed";

    private static final System.Logger LOG = System.getLogger(EventBridgeBatchEvents.class.getName());

    private final EventBridgeClient events;
    private final String bus;

    EventBridgeBatchEvents(EventBridgeClient events, String bus) {
        this.events = events;
        this.bus = bus;
    }

    @Override
    public void changed(String tenant, Batch batch) {
        try {
            PutEventsRequestEntry entry = PutEventsRequestEntry.builder()
                    .eventBusName(bus)
                    .source(SOURCE)
                    .detailType(DETAIL_TYPE)
                    .detail(Json.writeString(batch))
                    .build();
            PutEventsResponse response = events.putEvents(b -> b.entries(entry));
            if (response.failedEntryCount() != null && response.failedEntryCount() > 0) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "the event of batch " + batch.id() + " going " + batch.status() + " was refused: "
                                + response.entries().getFirst().errorCode());
            }
        } catch (SdkException e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "the event of batch " + batch.id() + " going " + batch.status() + " could not be published",
                    e);
        }
    }
}
