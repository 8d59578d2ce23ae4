package dev.openbatch.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * What Lambda's SQS event source mapping does in the cloud: long-polls the queue with up to
 * {@code maxConcurrency} pollers, hands each received batch to the function as an {@link SQSEvent},
 * deletes the messages it did not report as batch item failures, and leaves the failed ones to
 * come back after their visibility timeout — and, past the queue's receive limit, to go to its
 * dead-letter queue, which the queue's redrive policy does by itself.
 */
final class SqsEventSource implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SqsEventSource.class.getName());

    private final SqsClient sqs;
    private final String queueUrl;
    private final String queueArn;
    private final int batchSize;
    private final RequestHandler<SQSEvent, SQSBatchResponse> function;
    private final int deliveries;
    private final ExecutorService pollers;
    private volatile boolean running = true;

    /**
     * @param deliveries how many times each batch is handed to the function: 1, as Lambda usually
     *                   does; 2 plays SQS's at-least-once delivery at its worst, to prove idempotence
     */
    SqsEventSource(SqsClient sqs, String queueUrl, String queueArn, int batchSize, int maxConcurrency,
                   int deliveries, RequestHandler<SQSEvent, SQSBatchResponse> function) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.queueArn = queueArn;
        this.batchSize = batchSize;
        this.function = function;
        this.deliveries = deliveries;
        this.pollers = Executors.newFixedThreadPool(maxConcurrency, Thread.ofVirtual().name("sqs-poller-", 0).factory());
        for (int i = 0; i < maxConcurrency; i++) {
            pollers.execute(this::poll);
        }
    }

    private void poll() {
        while (running) {
            try {
                List<Message> messages = sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(batchSize)
                        .waitTimeSeconds(1).messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();
                if (!messages.isEmpty()) {
                    deliver(messages);
                }
            } catch (RuntimeException e) {
                if (running) {
                    LOG.log(System.Logger.Level.WARNING, "polling " + queueUrl + " failed; polling on", e);
                    pause();
                }
            }
        }
    }

    private void deliver(List<Message> messages) {
        Set<String> failed = new HashSet<>();
        for (int delivery = 0; delivery < deliveries; delivery++) {
            try {
                SQSBatchResponse response = function.handleRequest(event(messages),
                        LocalContext.invocation("openbatch-worker"));
                if (response != null && response.getBatchItemFailures() != null) {
                    response.getBatchItemFailures().forEach(f -> failed.add(f.getItemIdentifier()));
                }
            } catch (RuntimeException e) {
                // A function that throws fails the whole batch, as Lambda does.
                LOG.log(System.Logger.Level.ERROR, "the worker failed a batch of " + messages.size() + " messages", e);
                messages.forEach(m -> failed.add(m.messageId()));
            }
        }
        List<DeleteMessageBatchRequestEntry> done = new ArrayList<>();
        for (Message message : messages) {
            if (!failed.contains(message.messageId())) {
                done.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(done.size()))
                        .receiptHandle(message.receiptHandle()).build());
            }
        }
        if (!done.isEmpty()) {
            sqs.deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(done));
        }
    }

    private SQSEvent event(List<Message> messages) {
        List<SQSEvent.SQSMessage> records = new ArrayList<>();
        for (Message message : messages) {
            SQSEvent.SQSMessage record = new SQSEvent.SQSMessage();
            record.setMessageId(message.messageId());
            record.setReceiptHandle(message.receiptHandle());
            record.setBody(message.body());
            record.setMd5OfBody(message.md5OfBody());
            Map<String, String> attributes = new HashMap<>();
            message.attributes().forEach((k, v) -> attributes.put(k.toString(), v));
            record.setAttributes(attributes);
            record.setEventSource("aws:sqs");
            record.setEventSourceArn(queueArn);
            record.setAwsRegion(queueArn.split(":")[3]);
            records.add(record);
        }
        SQSEvent event = new SQSEvent();
        event.setRecords(records);
        return event;
    }

    private void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        pollers.shutdown();
        try {
            pollers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
