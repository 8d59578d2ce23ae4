package dev.openbatch.aws;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * When a chunk message whose run failed is delivered again: after the retry delay, doubled with
 * each delivery and at most 15 minutes, rather than after the queue's visibility timeout, which is
 * sized for a chunk that runs long, not for one that failed fast. With the defaults (30 s, five
 * deliveries) a chunk that keeps failing reaches the dead-letter queue after about 7.5 minutes of
 * retries. A worker that dies cannot say so; its message comes back after the visibility timeout.
 */
final class Redelivery {

    private static final System.Logger LOG = System.getLogger(Redelivery.class.getName());
    static final Duration LONGEST = Duration.ofMinutes(15);

    private final SqsClient sqs;
    private final Duration delay;
    private final Map<String, String> queueUrls = new ConcurrentHashMap<>();

    Redelivery(SqsClient sqs, Duration delay) {
        this.sqs = sqs;
        this.delay = delay;
    }

    /** How long a message delivered {@code deliveries} times stays hidden after its run failed. */
    static Duration delay(Duration first, int deliveries) {
        long seconds = first.toSeconds() << Math.min(Math.max(deliveries, 1) - 1, 20);
        return seconds > LONGEST.toSeconds() || seconds < 0 ? LONGEST : Duration.ofSeconds(seconds);
    }

    /** Hides the message for its delay; if SQS refuses, it comes back after the visibility timeout anyway. */
    void later(SQSEvent.SQSMessage message) {
        Map<String, String> attributes = message.getAttributes() == null ? Map.of() : message.getAttributes();
        int deliveries = Integer.parseInt(attributes.getOrDefault("ApproximateReceiveCount", "1"));
        int seconds = (int) delay(delay, deliveries).toSeconds();
        try {
            sqs.changeMessageVisibility(b -> b.queueUrl(queueUrl(message.getEventSourceArn()))
                    .receiptHandle(message.getReceiptHandle())
                    .visibilityTimeout(seconds));
        } catch (SdkException e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "chunk message " + message.getMessageId() + " could not be delivered"
                            + " again sooner; it comes back after the queue's visibility timeout",
                    e);
        }
    }

    /**
     * Has a chunk whose run stopped at its checkpoint go on: the same body (the same task token) as a
     * new message, the delivered one then deleted as handled. Not ChangeMessageVisibility(0) on the
     * delivered one: every delivery adds to a message's receive count, and at the queue's
     * maxReceiveCount (5) it would go to the dead-letter queue and its lines end as chunk_failed —
     * a chunk needing five lifetimes of a slow endpoint is not a failure. A new message starts its
     * count afresh. Should the worker stop between this send and the deletion, both messages run;
     * the chunk's first-writer-wins log makes that harmless. Fails (the message is then reported
     * failed and comes back) when SQS refuses.
     */
    void goOn(SQSEvent.SQSMessage message) {
        resend(message, Duration.ZERO);
    }

    /**
     * Puts the message back in its queue as a new one, visible after {@code delay}: unlike a failure,
     * it uses up none of the message's deliveries. Answers false when SQS refused; the message is then
     * still to be reported as failed.
     */
    boolean again(SQSEvent.SQSMessage message, Duration delay) {
        try {
            resend(message, delay);
            return true;
        } catch (SdkException e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "chunk message " + message.getMessageId()
                            + " could not be put back in its queue; it is delivered again as a failure",
                    e);
            return false;
        }
    }

    /** The queue's URL from its ARN, {@code arn:aws:sqs:<region>:<account>:<name>}, as SQS answers it. */
    private String queueUrl(String queueArn) {
        return queueUrls.computeIfAbsent(queueArn, arn -> {
            String[] parts = arn.split(":");
            return sqs.getQueueUrl(b -> b.queueName(parts[5]).queueOwnerAWSAccountId(parts[4]))
                    .queueUrl();
        });
    }

    /** The same body (the same task token) as a new message of the queue it came from, visible after {@code delay}. */
    private void resend(SQSEvent.SQSMessage message, Duration delay) {
        sqs.sendMessage(b -> b.queueUrl(queueUrl(message.getEventSourceArn()))
                .messageBody(message.getBody())
                .delaySeconds((int) Math.min(delay.toSeconds(), LONGEST.toSeconds())));
    }
}
