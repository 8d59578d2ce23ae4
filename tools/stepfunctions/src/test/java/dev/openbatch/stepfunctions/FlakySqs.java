package dev.openbatch.stepfunctions;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.RequestThrottledException;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageResponse;
import software.amazon.awssdk.services.sqs.model.SqsException;

/**
 * A real SQS client whose next SendMessage calls fail as the SDK fails them once its own retries are
 * spent — throttled, a 5xx, no connection — and which then sends for real.
 */
public final class FlakySqs implements SqsClient {

    private final SqsClient real;
    private final Deque<RuntimeException> faults;
    public final AtomicInteger failedSends = new AtomicInteger();

    public FlakySqs(SqsClient real, List<RuntimeException> faults) {
        this.real = real;
        this.faults = new ArrayDeque<>(faults);
    }

    /** SQS's answer to too many requests, which its model does not name as an exception. */
    public static SqsException throttled() {
        return service(400, "ThrottlingException", "Rate exceeded");
    }

    public static SqsException internalError() {
        return service(500, "InternalError", "We encountered an internal error. Please try again.");
    }

    public static RequestThrottledException requestThrottled() {
        return RequestThrottledException.builder()
                .statusCode(400)
                .requestId("req-throttled")
                .awsErrorDetails(AwsErrorDetails.builder()
                        .errorCode("RequestThrottled")
                        .serviceName("Sqs")
                        .errorMessage("Request is throttled.")
                        .build())
                .build();
    }

    public static SdkClientException connectionReset() {
        return SdkClientException.create("Unable to execute HTTP request: Connection reset");
    }

    private static SqsException service(int status, String code, String message) {
        return (SqsException) SqsException.builder()
                .statusCode(status)
                .requestId("req-" + code)
                .awsErrorDetails(AwsErrorDetails.builder()
                        .errorCode(code)
                        .serviceName("Sqs")
                        .errorMessage(message)
                        .build())
                .build();
    }

    @Override
    public SendMessageResponse sendMessage(SendMessageRequest request) {
        RuntimeException fault;
        synchronized (faults) {
            fault = faults.poll();
        }
        if (fault != null) {
            failedSends.incrementAndGet();
            throw fault;
        }
        return real.sendMessage(request);
    }

    @Override
    public String serviceName() {
        return SERVICE_NAME;
    }

    @Override
    public void close() {
        // the real client is shared
    }
}
