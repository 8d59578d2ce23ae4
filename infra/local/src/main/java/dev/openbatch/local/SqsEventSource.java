package dev.openbatch.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.openbatch.local.lambda.LocalLambda;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * dead-letter queue, which the queue's redrive policy does by itself. An invocation that fails
 * as a whole (it threw, or ran out of time) deletes nothing: its whole batch comes back.
 */
final class SqsEventSource implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SqsEventSource.class.getName());

    private final SqsClient sqs;
    private final String queueUrl;
    private final String queueArn;
    private final int batchSize;
    private final LocalLambda<RequestHandler<SQSEvent, SQSBatchResponse>> function;
    private final int deliveries;
    private final boolean duplicateWhileRunning;
    private final ExecutorService pollers;
    private final ExecutorService duplicates = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean running = true;

    /**
     * @param deliveries            how many times each batch is handed to the function, one after the
     *                              other: 1, as Lambda usually does; 2 plays SQS's at-least-once delivery
     *                              at its worst, to prove idempotence
     * @param duplicateWhileRunning whether a batch received for the first time is also handed to a
     *                              second sandbox while its first run is still going, as a standard
     *                              queue may deliver a message twice at once
     * @param function              the function, whose sandboxes are at most {@code maxConcurrency}
     */
    SqsEventSource(
            SqsClient sqs,
            String queueUrl,
            String queueArn,
            int batchSize,
            int maxConcurrency,
            int deliveries,
            boolean duplicateWhileRunning,
            LocalLambda<RequestHandler<SQSEvent, SQSBatchResponse>> function) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.queueArn = queueArn;
        this.batchSize = batchSize;
        this.function = function;
        this.deliveries = deliveries;
        this.duplicateWhileRunning = duplicateWhileRunning;
        this.pollers = Executors.newFixedThreadPool(
                maxConcurrency, Thread.ofVirtual().name("sqs-poller-", 0).factory());
        for (int i = 0; i < maxConcurrency; i++) {
            pollers.execute(this::poll);
        }
    }

    private void poll() {
        while (running) {
            try {
                List<Message> messages = sqs.receiveMessage(b -> b.queueUrl(queueUrl)
                                .maxNumberOfMessages(batchSize)
                                .waitTimeSeconds(1)
                                .messageSystemAttributeNames(MessageSystemAttributeName.ALL))
                        .messages();
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
        CountDownLatch firstRunStarted = new CountDownLatch(1);
        Future<?> duplicate = null;
        if (duplicateWhileRunning && messages.stream().anyMatch(SqsEventSource::firstReceive)) {
            duplicate = duplicates.submit(() -> {
                try {
                    firstRunStarted.await();
                } catch (InterruptedException e) {
                    return;
                }
                // The first run holds its sandbox, so this one runs in another, alongside it.
                delete(messages, invoke(messages, () -> {}));
            });
        }
        Set<String> failed = new HashSet<>();
        for (int delivery = 0; delivery < deliveries; delivery++) {
            failed.addAll(invoke(messages, firstRunStarted::countDown));
        }
        firstRunStarted.countDown();
        delete(messages, failed);
        if (duplicate != null) {
            try {
                duplicate.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                LOG.log(System.Logger.Level.ERROR, "the duplicate delivery failed", e.getCause());
            }
        }
    }

    private static boolean firstReceive(Message message) {
        return "1".equals(message.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT));
    }

    /** One invocation with the batch; answers the ids of the messages that failed. */
    private Set<String> invoke(List<Message> messages, Runnable started) {
        Set<String> failed = new HashSet<>();
        try {
            SQSBatchResponse response = function.invoke((handler, context) -> {
                started.run();
                return handler.handleRequest(event(messages), context);
            });
            if (response != null && response.getBatchItemFailures() != null) {
                response.getBatchItemFailures().forEach(f -> failed.add(f.getItemIdentifier()));
            }
        } catch (RuntimeException e) {
            // A function that throws or runs out of time fails the whole batch, as Lambda does.
            LOG.log(
                    System.Logger.Level.ERROR,
                    function.name() + " failed a batch of " + messages.size() + " messages",
                    e);
            messages.forEach(m -> failed.add(m.messageId()));
        }
        return failed;
    }

    private void delete(List<Message> messages, Set<String> failed) {
        List<DeleteMessageBatchRequestEntry> done = new ArrayList<>();
        for (Message message : messages) {
            if (!failed.contains(message.messageId())) {
                done.add(DeleteMessageBatchRequestEntry.builder()
                        .id(Integer.toString(done.size()))
                        .receiptHandle(message.receiptHandle())
                        .build());
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
        duplicates.shutdown();
        try {
            pollers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
