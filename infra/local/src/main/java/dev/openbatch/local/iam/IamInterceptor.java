package dev.openbatch.local.iam;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.eventbridge.model.EventBridgeRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequest;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.DeletedObject;
import software.amazon.awssdk.services.s3.model.GetBucketLocationRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListPartsRequest;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Request;
import software.amazon.awssdk.services.s3.model.UploadPartCopyRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerRequest;
import software.amazon.awssdk.services.sfn.model.SfnRequest;
import software.amazon.awssdk.services.sqs.model.GetQueueUrlRequest;
import software.amazon.awssdk.services.sqs.model.SqsRequest;

/**
 * Checks every call of one function's clients against its role's {@link LocalIam.Policy}, as IAM
 * checks it in the account: each operation needs its IAM action(s) on its resource ARN(s), and a
 * call its role does not allow fails as AWS fails it ({@link AccessDenied}). Two of AWS's answers
 * are not exceptions and are reproduced too:
 * <ul>
 *   <li>S3's multi-object delete needs {@code s3:DeleteObject} on each key; a key not allowed is not
 *       deleted and comes back among the response's errors as {@code AccessDenied}, the others are
 *       deleted, and the call itself succeeds.</li>
 *   <li>A read of a missing object by a role without {@code s3:ListBucket} on its bucket is a 403,
 *       not a 404: S3 does not tell such a caller whether the key exists.</li>
 * </ul>
 */
public final class IamInterceptor implements ExecutionInterceptor {

    /** An action a call needs on a resource. */
    record Need(String action, String arn) {}

    private static final ExecutionAttribute<List<ObjectIdentifier>> DENIED_KEYS =
            new ExecutionAttribute<>("openbatch.iam.deniedKeys");
    private static final ExecutionAttribute<byte[]> REWRITTEN_BODY =
            new ExecutionAttribute<>("openbatch.iam.rewrittenBody");
    private static final ExecutionAttribute<String> PLACEHOLDER_KEY =
            new ExecutionAttribute<>("openbatch.iam.placeholderKey");
    /** What a multi-object delete stands in for keys it may not delete, when it may delete none: a key no one writes. */
    private static final String PLACEHOLDER_PREFIX = ".openbatch-local-iam/denied-";

    private final LocalIam.Policy policy;
    private final String principal;
    private final LocalIam.Resources resources;

    /**
     * @param policy    the role's policy
     * @param session   the role session's name, as Lambda names it: the function's name
     * @param resources the local resources, for the ARNs of queues and state machines
     */
    public IamInterceptor(LocalIam.Policy policy, String session, LocalIam.Resources resources) {
        this.policy = policy;
        this.principal = LocalIam.principal(policy.role(), session);
        this.resources = resources;
    }

    @Override
    public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
        SdkRequest request = context.request();
        if (request instanceof DeleteObjectsRequest delete) {
            return withoutDeniedKeys(delete, attributes);
        }
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        for (Need need : needs(request, operation)) {
            if (!policy.allows(need.action(), need.arn())) {
                throw service(request).refusal(principal, need.action(), need.arn());
            }
        }
        return request;
    }

    /** The keys this role may not delete leave the request, to come back as errors in the response. */
    private SdkRequest withoutDeniedKeys(DeleteObjectsRequest delete, ExecutionAttributes attributes) {
        List<ObjectIdentifier> allowed = new ArrayList<>();
        List<ObjectIdentifier> denied = new ArrayList<>();
        for (ObjectIdentifier object : delete.delete().objects()) {
            (policy.allows("s3:DeleteObject", objectArn(delete.bucket(), object.key())) ? allowed : denied).add(object);
        }
        if (denied.isEmpty()) {
            return delete;
        }
        attributes.putAttribute(DENIED_KEYS, List.copyOf(denied));
        if (allowed.isEmpty()) {
            // S3 answers 200 even when every key is refused; an empty Delete would be malformed.
            String placeholder = PLACEHOLDER_PREFIX + UUID.randomUUID();
            attributes.putAttribute(PLACEHOLDER_KEY, placeholder);
            allowed.add(ObjectIdentifier.builder().key(placeholder).build());
        }
        return delete.toBuilder()
                .delete(delete.delete().toBuilder().objects(allowed).build())
                .build();
    }

    @Override
    public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
        List<ObjectIdentifier> denied = attributes.getAttribute(DENIED_KEYS);
        if (denied == null || !(context.response() instanceof DeleteObjectsResponse response)) {
            return context.response();
        }
        String placeholder = attributes.getAttribute(PLACEHOLDER_KEY);
        List<DeletedObject> deleted = response.deleted().stream()
                .filter(d -> !d.key().equals(placeholder))
                .toList();
        List<S3Error> errors = new ArrayList<>(response.errors());
        for (ObjectIdentifier object : denied) {
            errors.add(S3Error.builder()
                    .key(object.key())
                    .versionId(object.versionId())
                    .code("AccessDenied")
                    .message("Access Denied")
                    .build());
        }
        return response.toBuilder().deleted(deleted).errors(errors).build();
    }

    /**
     * A 404 for a read of a missing object becomes S3's 403 where the role may not list the bucket:
     * rewritten on the wire, so the SDK builds the exception it builds for S3's own answer.
     */
    @Override
    public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        SdkHttpResponse response = context.httpResponse();
        String bucket = readBucket(context.request());
        if (bucket == null
                || response.statusCode() != 404
                || policy.allows("s3:ListBucket", LocalIam.Resources.bucketArn(bucket))) {
            return response;
        }
        String arn = LocalIam.Resources.bucketArn(bucket);
        String requestId = response.firstMatchingHeader("x-amz-request-id")
                .orElse(UUID.randomUUID().toString());
        byte[] body = context.request() instanceof HeadObjectRequest
                ? new byte[0]
                : ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>"
                                + xml(AccessDenied.S3.message(principal, "s3:ListBucket", arn))
                                + "</Message><RequestId>" + requestId
                                + "</RequestId></Error>")
                        .getBytes(StandardCharsets.UTF_8);
        attributes.putAttribute(REWRITTEN_BODY, body);
        return response.toBuilder()
                .statusCode(403)
                .statusText("Forbidden")
                .putHeader("Content-Type", "application/xml")
                .putHeader("Content-Length", Integer.toString(body.length))
                .removeHeader("x-amz-error-code")
                .removeHeader("x-amz-error-message")
                .build();
    }

    @Override
    public Optional<InputStream> modifyHttpResponseContent(
            Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        byte[] body = attributes.getAttribute(REWRITTEN_BODY);
        return body == null ? context.responseBody() : Optional.of(new ByteArrayInputStream(body));
    }

    private static String xml(String text) {
        return text.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\"", "&quot;");
    }

    private static String readBucket(SdkRequest request) {
        if (request instanceof GetObjectRequest get) {
            return get.bucket();
        }
        return request instanceof HeadObjectRequest head ? head.bucket() : null;
    }

    /** The actions and resources an operation needs, as the Service Authorization Reference lists them. */
    List<Need> needs(SdkRequest request, String operation) {
        return switch (request) {
            case S3Request s3 -> s3(s3, operation);
            case DynamoDbRequest dynamo -> dynamoDb(dynamo, operation);
            case SqsRequest sqs -> sqs(sqs, operation);
            case SfnRequest sfn -> stepFunctions(sfn, operation);
            case SecretsManagerRequest secrets -> secretsManager(secrets, operation);
            case EventBridgeRequest events -> eventBridge(events, operation);
            default -> throw unknown(request, operation);
        };
    }

    private static AccessDenied service(SdkRequest request) {
        return switch (request) {
            case S3Request ignored -> AccessDenied.S3;
            case DynamoDbRequest ignored -> AccessDenied.DYNAMODB;
            case SqsRequest ignored -> AccessDenied.SQS;
            case SfnRequest ignored -> AccessDenied.STEP_FUNCTIONS;
            case SecretsManagerRequest ignored -> AccessDenied.SECRETS_MANAGER;
            case EventBridgeRequest ignored -> AccessDenied.EVENTBRIDGE;
            default -> throw unknown(request, request.getClass().getSimpleName());
        };
    }

    private static List<Need> s3(S3Request request, String operation) {
        return switch (request) {
            // A read of a version is another action, as IAM has it.
            case GetObjectRequest get ->
                List.of(new Need(
                        get.versionId() == null ? "s3:GetObject" : "s3:GetObjectVersion",
                        objectArn(get.bucket(), get.key())));
            case HeadObjectRequest head ->
                List.of(new Need(
                        head.versionId() == null ? "s3:GetObject" : "s3:GetObjectVersion",
                        objectArn(head.bucket(), head.key())));
            case PutObjectRequest put -> List.of(new Need("s3:PutObject", objectArn(put.bucket(), put.key())));
            case CreateMultipartUploadRequest create ->
                List.of(new Need("s3:PutObject", objectArn(create.bucket(), create.key())));
            case UploadPartRequest part -> List.of(new Need("s3:PutObject", objectArn(part.bucket(), part.key())));
            case CompleteMultipartUploadRequest complete ->
                List.of(new Need("s3:PutObject", objectArn(complete.bucket(), complete.key())));
            case AbortMultipartUploadRequest abort ->
                List.of(new Need("s3:AbortMultipartUpload", objectArn(abort.bucket(), abort.key())));
            case ListPartsRequest parts ->
                List.of(new Need("s3:ListMultipartUploadParts", objectArn(parts.bucket(), parts.key())));
            case CopyObjectRequest copy -> copy(copy);
            case UploadPartCopyRequest copy -> copy(copy);
            case DeleteObjectRequest delete ->
                List.of(new Need(
                        delete.versionId() == null ? "s3:DeleteObject" : "s3:DeleteObjectVersion",
                        objectArn(delete.bucket(), delete.key())));
            case ListObjectsV2Request list ->
                List.of(new Need("s3:ListBucket", LocalIam.Resources.bucketArn(list.bucket())));
            case ListObjectsRequest list ->
                List.of(new Need("s3:ListBucket", LocalIam.Resources.bucketArn(list.bucket())));
            case HeadBucketRequest head ->
                List.of(new Need("s3:ListBucket", LocalIam.Resources.bucketArn(head.bucket())));
            case ListMultipartUploadsRequest list ->
                List.of(new Need("s3:ListBucketMultipartUploads", LocalIam.Resources.bucketArn(list.bucket())));
            case GetBucketLocationRequest location ->
                List.of(new Need("s3:GetBucketLocation", LocalIam.Resources.bucketArn(location.bucket())));
            default -> throw unknown(request, operation);
        };
    }

    /**
     * What a CopyObject needs: reading its source, writing its destination. The SDK's own
     * interceptor, which runs first, has by then moved the source's bucket and key into the
     * deprecated {@code copySource} and the destination's into the deprecated {@code bucket} and
     * {@code key}: those fields are what this one is given, so it reads them.
     */
    @SuppressWarnings("deprecation") // the SDK's interceptor leaves the request in its deprecated fields
    private static List<Need> copy(CopyObjectRequest copy) {
        return List.of(
                copySource(copy.copySource(), copy.sourceBucket(), copy.sourceKey(), copy.sourceVersionId()),
                new Need(
                        "s3:PutObject",
                        objectArn(
                                first(copy.destinationBucket(), copy.bucket()),
                                first(copy.destinationKey(), copy.key()))));
    }

    /** What an UploadPartCopy needs, its source read as {@link #copy(CopyObjectRequest)} reads it. */
    @SuppressWarnings("deprecation") // the SDK's interceptor leaves the source in the deprecated copySource
    private static List<Need> copy(UploadPartCopyRequest copy) {
        return List.of(
                copySource(copy.copySource(), copy.sourceBucket(), copy.sourceKey(), copy.sourceVersionId()),
                new Need("s3:PutObject", objectArn(copy.destinationBucket(), copy.destinationKey())));
    }

    /**
     * What reading a copy's source needs. The SDK's own interceptor, which runs first, has by then
     * folded the source's bucket, key and version into {@code x-amz-copy-source}
     * ({@code bucket/url-encoded-key[?versionId=v]}).
     */
    private static Need copySource(String copySource, String bucket, String key, String versionId) {
        if (bucket == null && copySource != null) {
            String source = copySource.startsWith("/") ? copySource.substring(1) : copySource;
            int version = source.indexOf("?versionId=");
            if (version >= 0) {
                versionId = source.substring(version + "?versionId=".length());
                source = source.substring(0, version);
            }
            int slash = source.indexOf('/');
            bucket = URLDecoder.decode(source.substring(0, slash), StandardCharsets.UTF_8);
            key = URLDecoder.decode(source.substring(slash + 1), StandardCharsets.UTF_8);
        }
        return new Need(versionId == null ? "s3:GetObject" : "s3:GetObjectVersion", objectArn(bucket, key));
    }

    private List<Need> dynamoDb(DynamoDbRequest request, String operation) {
        return switch (request) {
            case QueryRequest query ->
                List.of(new Need("dynamodb:Query", tableOrIndex(query.tableName(), query.indexName())));
            case ScanRequest scan ->
                List.of(new Need("dynamodb:Scan", tableOrIndex(scan.tableName(), scan.indexName())));
            // Each item of a transaction needs the action of its kind on its own table.
            case TransactWriteItemsRequest transaction ->
                transaction.transactItems().stream().map(this::transactNeed).toList();
            case TransactGetItemsRequest transaction ->
                transaction.transactItems().stream()
                        .map(item -> new Need(
                                "dynamodb:GetItem",
                                resources.tableArn(item.get().tableName())))
                        .toList();
            case BatchWriteItemRequest batch ->
                batch.requestItems().keySet().stream()
                        .map(table -> new Need("dynamodb:BatchWriteItem", resources.tableArn(table)))
                        .toList();
            case BatchGetItemRequest batch ->
                batch.requestItems().keySet().stream()
                        .map(table -> new Need("dynamodb:BatchGetItem", resources.tableArn(table)))
                        .toList();
            default -> {
                String table = request.getValueForField("TableName", String.class)
                        .orElseThrow(() -> unknown(request, operation));
                yield List.of(new Need("dynamodb:" + operation, resources.tableArn(table)));
            }
        };
    }

    private String tableOrIndex(String table, String index) {
        return resources.tableArn(table) + (index == null ? "" : "/index/" + index);
    }

    private Need transactNeed(TransactWriteItem item) {
        if (item.put() != null) {
            return new Need("dynamodb:PutItem", resources.tableArn(item.put().tableName()));
        }
        if (item.update() != null) {
            return new Need(
                    "dynamodb:UpdateItem", resources.tableArn(item.update().tableName()));
        }
        if (item.delete() != null) {
            return new Need(
                    "dynamodb:DeleteItem", resources.tableArn(item.delete().tableName()));
        }
        return new Need(
                "dynamodb:ConditionCheckItem",
                resources.tableArn(item.conditionCheck().tableName()));
    }

    /** A queue's operations need their action on the queue; a batch operation, the action of one message. */
    private List<Need> sqs(SqsRequest request, String operation) {
        String action = "sqs:" + operation.replaceFirst("Batch$", "");
        if (request instanceof GetQueueUrlRequest getUrl) {
            String owner = getUrl.queueOwnerAWSAccountId() == null ? LocalIam.ACCOUNT : getUrl.queueOwnerAWSAccountId();
            return List.of(new Need(action, resources.queueArn(owner, getUrl.queueName())));
        }
        String url = request.getValueForField("QueueUrl", String.class).orElseThrow(() -> unknown(request, operation));
        String[] path = URI.create(url).getPath().replaceAll("^/+|/+$", "").split("/");
        if (path.length != 2) {
            throw new IllegalArgumentException("not a queue URL: " + url);
        }
        return List.of(new Need(action, resources.queueArn(path[0], path[1])));
    }

    /**
     * Step Functions authorizes a task's answer (SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat)
     * on the state machine whose execution issued the token; locally there is one.
     */
    private List<Need> stepFunctions(SfnRequest request, String operation) {
        String action = "states:" + operation;
        if (operation.startsWith("SendTask")) {
            return List.of(new Need(action, resources.stateMachine()));
        }
        for (String field : new String[] {"stateMachineArn", "executionArn"}) {
            var arn = request.getValueForField(field, String.class);
            if (arn.isPresent()) {
                return List.of(new Need(action, arn.get()));
            }
        }
        throw unknown(request, operation);
    }

    private List<Need> secretsManager(SecretsManagerRequest request, String operation) {
        if (request instanceof GetSecretValueRequest get) {
            String id = get.secretId();
            return List.of(new Need(
                    "secretsmanager:GetSecretValue",
                    id.startsWith("arn:")
                            ? id
                            : "arn:aws:secretsmanager:" + resources.region() + ":" + LocalIam.ACCOUNT + ":secret:"
                                    + id));
        }
        throw unknown(request, operation);
    }

    /** PutEvents is authorized on each entry's bus; an entry that names none goes to the default bus. */
    private List<Need> eventBridge(EventBridgeRequest request, String operation) {
        if (request instanceof PutEventsRequest put) {
            return put.entries().stream()
                    .map(entry -> new Need(
                            "events:PutEvents",
                            entry.eventBusName() == null || entry.eventBusName().equals("default")
                                    ? resources.defaultEventBusArn()
                                    : entry.eventBusName().startsWith("arn:")
                                            ? entry.eventBusName()
                                            : "arn:aws:events:" + resources.region() + ":" + LocalIam.ACCOUNT
                                                    + ":event-bus/" + entry.eventBusName()))
                    .distinct()
                    .toList();
        }
        throw unknown(request, operation);
    }

    private static String first(String value, String otherwise) {
        return value != null ? value : otherwise;
    }

    private static String objectArn(String bucket, String key) {
        return LocalIam.Resources.bucketArn(bucket) + "/" + key;
    }

    /** A call whose IAM action is not modelled yet: refused loudly, so that no call goes unchecked. */
    private static IllegalStateException unknown(SdkRequest request, String operation) {
        return new IllegalStateException("the local IAM check does not know what " + operation + " ("
                + request.getClass().getName() + ") needs: add it to " + IamInterceptor.class.getSimpleName());
    }
}
