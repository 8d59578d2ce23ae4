package dev.openbatch.local.iam;

import java.util.UUID;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.eventbridge.model.EventBridgeException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;
import software.amazon.awssdk.services.sfn.model.SfnException;
import software.amazon.awssdk.services.sqs.model.SqsException;

/**
 * What AWS answers a call its identity-based policies do not allow, service by service: the
 * service's own exception, its status and error code, and IAM's message, {@code User: <assumed
 * role> is not authorized to perform: <action> on resource: <arn> because no identity-based policy
 * allows the <action> action}.
 *
 * <ul>
 *   <li>S3: 403 {@code AccessDenied}, the resource in double quotes.</li>
 *   <li>DynamoDB, Step Functions, Secrets Manager (JSON protocols): 400 {@code AccessDeniedException}.</li>
 *   <li>SQS: 403 {@code AccessDenied} (its query-compatible code, also over JSON), the action in
 *       lower case as SQS writes it ({@code sqs:sendmessage}).</li>
 * </ul>
 */
public enum AccessDenied {
    S3(403, "AccessDenied", "S3") {
        @Override
        AwsServiceException.Builder builder() {
            return S3Exception.builder();
        }

        @Override
        String message(String principal, String action, String arn) {
            return IAM.formatted(principal, action, "\"" + arn + "\"", action);
        }
    },
    DYNAMODB(400, "AccessDeniedException", "DynamoDb") {
        @Override
        AwsServiceException.Builder builder() {
            return DynamoDbException.builder();
        }
    },
    STEP_FUNCTIONS(400, "AccessDeniedException", "Sfn") {
        @Override
        AwsServiceException.Builder builder() {
            return SfnException.builder();
        }
    },
    EVENTBRIDGE(400, "AccessDeniedException", "EventBridge") {
        @Override
        AwsServiceException.Builder builder() {
            return EventBridgeException.builder();
        }
    },
    SECRETS_MANAGER(400, "AccessDeniedException", "SecretsManager") {
        @Override
        AwsServiceException.Builder builder() {
            return SecretsManagerException.builder();
        }
    },
    SQS(403, "AccessDenied", "Sqs") {
        @Override
        AwsServiceException.Builder builder() {
            return SqsException.builder();
        }

        @Override
        String message(String principal, String action, String arn) {
            return IAM.formatted(principal, LocalIam.lower(action), arn, LocalIam.lower(action));
        }
    };

    private static final String IAM =
            "User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action";

    private final int status;
    private final String code;
    private final String service;

    AccessDenied(int status, String code, String service) {
        this.status = status;
        this.code = code;
        this.service = service;
    }

    abstract AwsServiceException.Builder builder();

    String message(String principal, String action, String arn) {
        return IAM.formatted(principal, action, arn, action);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** The exception the service's client throws for this refusal. */
    public AwsServiceException refusal(String principal, String action, String arn) {
        String requestId = UUID.randomUUID().toString();
        return builder()
                .statusCode(status)
                .requestId(requestId)
                .awsErrorDetails(AwsErrorDetails.builder()
                        .errorCode(code)
                        .errorMessage(message(principal, action, arn))
                        .serviceName(service)
                        .sdkHttpResponse(
                                SdkHttpResponse.builder().statusCode(status).build())
                        .build())
                .build();
    }
}
