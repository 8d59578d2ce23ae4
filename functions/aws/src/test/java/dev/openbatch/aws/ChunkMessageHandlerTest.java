package dev.openbatch.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.openbatch.core.Json;
import dev.openbatch.core.capacity.NoCapacity;
import dev.openbatch.core.pipeline.ChunkMessage;
import dev.openbatch.core.pipeline.PartCounts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.SendTaskSuccessRequest;
import software.amazon.awssdk.services.sfn.model.SendTaskSuccessResponse;

class ChunkMessageHandlerTest {

    @Test
    void aChunkWithNoCapacity_isPutOff_notFailed_andTheOthersRunAsUsual() {
        Handler handler = new Handler(List.of());

        SQSBatchResponse response = handler.handleRequest(event("no-capacity", "runs"), null);

        assertThat(response.getBatchItemFailures())
                .as("put off, not failed: no delivery used up")
                .isEmpty();
        assertThat(handler.deferred).containsExactly("no-capacity");
        assertThat(handler.failed).isEmpty();
        assertThat(handler.settled).containsExactly("runs");
    }

    @Test
    void aChunkThatCouldNotBePutOff_failsAsAnyOther() {
        Handler handler = new Handler(List.of("no-capacity"));

        SQSBatchResponse response = handler.handleRequest(event("no-capacity"), null);

        assertThat(response.getBatchItemFailures())
                .extracting(SQSBatchResponse.BatchItemFailure::getItemIdentifier)
                .containsExactly("no-capacity");
        assertThat(handler.failed).containsExactly("no-capacity");
    }

    /** Settles every message but those named {@code no-capacity}, which have no capacity. */
    private static final class Handler extends ChunkMessageHandler {
        final List<String> settled = new ArrayList<>();
        final List<String> deferred = new ArrayList<>();
        final List<String> failed = new ArrayList<>();
        private final List<String> notPutOff;

        Handler(List<String> notPutOff) {
            super(new SfnClient() {
                @Override
                public SendTaskSuccessResponse sendTaskSuccess(SendTaskSuccessRequest request) {
                    return SendTaskSuccessResponse.builder().build();
                }

                @Override
                public String serviceName() {
                    return SfnClient.SERVICE_NAME;
                }

                @Override
                public void close() {}
            });
            this.notPutOff = notPutOff;
        }

        @Override
        Optional<PartCounts> settle(ChunkMessage message, Context context) {
            if (message.batchId().equals("no-capacity")) {
                throw new NoCapacity("job-a", message.batchId());
            }
            settled.add(message.batchId());
            return Optional.of(new PartCounts(1, 0, 0));
        }

        @Override
        List<SQSEvent.SQSMessage> deferred(List<SQSEvent.SQSMessage> messages) {
            messages.forEach(m -> deferred.add(m.getMessageId()));
            return messages.stream()
                    .filter(m -> notPutOff.contains(m.getMessageId()))
                    .toList();
        }

        @Override
        void failed(List<SQSEvent.SQSMessage> messages) {
            messages.forEach(m -> failed.add(m.getMessageId()));
        }
    }

    private static SQSEvent event(String... batchIds) {
        List<SQSEvent.SQSMessage> records = new ArrayList<>();
        for (String batchId : batchIds) {
            SQSEvent.SQSMessage message = new SQSEvent.SQSMessage();
            message.setMessageId(batchId);
            message.setBody(Json.writeString(Map.of(
                    "tenant",
                    "default",
                    "batch_id",
                    batchId,
                    "chunk",
                    Map.of("index", 0, "first_request", 1, "lines", 1),
                    "task_token",
                    "t")));
            records.add(message);
        }
        SQSEvent event = new SQSEvent();
        event.setRecords(records);
        return event;
    }
}
