package dev.openbatch.aws;

import dev.openbatch.core.Json;
import dev.openbatch.core.webhooks.WebhookMessage;
import dev.openbatch.core.webhooks.WebhookQueue;
import software.amazon.awssdk.services.sqs.SqsClient;

/** The webhook queue, an SQS standard queue the webhook sender consumes. */
final class SqsWebhookQueue implements WebhookQueue {

    private final SqsClient sqs;
    private final String queueUrl;

    SqsWebhookQueue(SqsClient sqs, String queueUrl) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
    }

    @Override
    public void send(WebhookMessage message) {
        sqs.sendMessage(b -> b.queueUrl(queueUrl).messageBody(Json.writeString(message)));
    }
}
