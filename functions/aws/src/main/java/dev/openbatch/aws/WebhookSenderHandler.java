package dev.openbatch.aws;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.openbatch.core.Json;
import dev.openbatch.core.webhooks.DeliverWebhooks;
import dev.openbatch.core.webhooks.WebhookMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The webhook sender: fed by the webhook queue, it delivers each message's event (see
 * {@link DeliverWebhooks}). A delivery to be tried again stays in the queue, hidden for its retry's
 * wait (ChangeMessageVisibility, up to SQS's 12 hours, where a message's delay stops at 15 minutes),
 * and is reported failed so the event source leaves it there; its receive count is its tries.
 */
public final class WebhookSenderHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {

    private static final System.Logger LOG = System.getLogger(WebhookSenderHandler.class.getName());

    private final DeliverWebhooks deliver;
    private final SqsClient sqs;
    private final Map<String, String> queueUrls = new ConcurrentHashMap<>();

    public WebhookSenderHandler() {
        this(Wiring.fromEnvironment());
    }

    public WebhookSenderHandler(Wiring wiring) {
        this(wiring.deliverWebhooks(), wiring.sqs());
    }

    WebhookSenderHandler(DeliverWebhooks deliver, SqsClient sqs) {
        this.deliver = deliver;
        this.sqs = sqs;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        for (SQSEvent.SQSMessage message : event.getRecords()) {
            try {
                WebhookMessage webhook = Json.MAPPER.readValue(message.getBody(), WebhookMessage.class);
                int tries = Integer.parseInt(
                        message.getAttributes() == null
                                ? "1"
                                : message.getAttributes().getOrDefault("ApproximateReceiveCount", "1"));
                if (deliver.handle(webhook, tries) instanceof DeliverWebhooks.Outcome.Retry retry) {
                    hide(message, (int) retry.after().toSeconds());
                    failures.add(new SQSBatchResponse.BatchItemFailure(message.getMessageId()));
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "webhook message " + message.getMessageId() + " is not one", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failures.add(new SQSBatchResponse.BatchItemFailure(message.getMessageId()));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "webhook message " + message.getMessageId() + " failed", e);
                failures.add(new SQSBatchResponse.BatchItemFailure(message.getMessageId()));
            }
        }
        return new SQSBatchResponse(failures);
    }

    /** If SQS refuses, the message still comes back, after the queue's visibility timeout. */
    private void hide(SQSEvent.SQSMessage message, int seconds) {
        try {
            sqs.changeMessageVisibility(b -> b.queueUrl(queueUrl(message.getEventSourceArn()))
                    .receiptHandle(message.getReceiptHandle())
                    .visibilityTimeout(seconds));
        } catch (SdkException e) {
            LOG.log(System.Logger.Level.WARNING, "webhook message " + message.getMessageId() + " not hidden", e);
        }
    }

    /** The queue's URL from its ARN, {@code arn:aws:sqs:<region>:<account>:<name>}. */
    private String queueUrl(String queueArn) {
        return queueUrls.computeIfAbsent(queueArn, arn -> {
            String[] parts = arn.split(":");
            return sqs.getQueueUrl(b -> b.queueName(parts[5]).queueOwnerAWSAccountId(parts[4]))
                    .queueUrl();
        });
    }
}
