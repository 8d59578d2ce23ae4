package dev.openbatch.deployment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What each role of a deployment may do: the one declaration of openbatch's access, read by both
 * wirings. The CDK app turns each statement into a grant on the stack's resources; the local
 * runtime resolves the same statements to its own resources' ARNs and refuses, as IAM does, every
 * call of a function that its role's statements do not allow. Neither can drift from the other.
 *
 * <p>A statement names actions and one resource by what it is ("the data bucket's objects under
 * {@code batches/*}", "the batches table"), never by ARN: each wiring knows its resources' ARNs.
 * Besides these, the CDK grants what the platform itself needs and no function calls: each
 * function's writes to its own log group, the state machine's log delivery, X-Ray when tracing,
 * the worker's network interfaces in a VPC, and the KMS actions that go with S3 reads and writes
 * when the buckets use the stack's key.
 */
public final class Permissions {

    /** Whose access: each function's role, and the state machine's. */
    public enum Role {
        API,
        AUTHORIZER,
        VALIDATE,
        FINALIZE,
        WORKER,
        DEAD_LETTERS,
        INGEST,
        SWEEPER,
        /** The webhook sender, which delivers batches' ends to the tenants' endpoints. */
        WEBHOOKS,
        STATE_MACHINE
    }

    /** The two buckets of a deployment. */
    public enum Bucket {
        /** Files, uploads' parts, chunks and parts of running batches, drop records. */
        DATA,
        /** S3-drop submission: {@code incoming/} and {@code results/}. */
        INGEST
    }

    /** The tables of a deployment; capacity holds the jobs' leases on their endpoints. */
    public enum Table {
        FILES,
        BATCHES,
        KEYS,
        CAPACITY,
        /** The tenants' webhook endpoints, with their signing secrets. */
        WEBHOOKS
    }

    /** The queues whose ARNs a role names. */
    public enum Queue {
        CHUNKS,
        CHUNK_DEAD_LETTERS,
        INGEST_DEAD_LETTERS,
        /** Batches' ends on their way to the tenants' webhook endpoints. */
        WEBHOOKS
    }

    /** A resource by what it is; each wiring knows its ARN. */
    public sealed interface Resource {

        /** A bucket's objects whose keys match {@code keys}, an IAM pattern such as {@code batches/*}. */
        record Objects(Bucket bucket, String keys) implements Resource {}

        /** A bucket itself: where {@code s3:ListBucket} applies. */
        record WholeBucket(Bucket bucket) implements Resource {}

        /** A table's items. */
        record Items(Table table) implements Resource {}

        /** One index of a table. */
        record Index(Table table, String index) implements Resource {}

        /** A queue. */
        record MessageQueue(Queue queue) implements Resource {}

        /** The batch state machine (and, for task answers, its executions' tasks). */
        record StateMachine() implements Resource {}

        /** The batch state machine's executions, and no other state machine's. */
        record Executions() implements Resource {}

        /** One of the functions, as the state machine invokes it. */
        record Function(Role function) implements Resource {}

        /** The secret of each job that names one ({@code secret_arn}): as many resources as such jobs. */
        record JobSecrets() implements Resource {}

        /**
         * The objects of each configured image bucket, in any region; a bucket configured as
         * {@code bucket:account} is allowed only while that account owns it ({@code s3:ResourceAccount}).
         */
        record ImageObjects() implements Resource {}

        /** Each configured image bucket itself, under the same owner condition. */
        record ImageBuckets() implements Resource {}

        /** The account's default EventBridge bus, where batches' status changes are published. */
        record DefaultEventBus() implements Resource {}
    }

    /** Actions allowed on a resource. */
    public record Statement(List<String> actions, Resource resource) {

        public Statement {
            actions = List.copyOf(actions);
            Objects.requireNonNull(resource);
        }

        @Override
        public String toString() {
            return String.join(", ", actions) + " on " + resource;
        }
    }

    // Where the functions keep their objects in the data bucket.
    public static final String FILES = "files/*";
    public static final String BATCHES = "batches/*";
    public static final String UPLOADS = "uploads/*";
    public static final String DROPS = "drops/*";
    /** Snapshots of a running batch's results, too large to answer with, under its intermediate objects. */
    public static final String SNAPSHOTS = "batches/*/snapshots/*";
    // S3-drop submission in the ingest bucket: drops under incoming/, results under results/.
    public static final String INCOMING = "incoming/*";
    public static final String RESULTS = "results/*";
    /** The index on (owner, id) that lists a tenant's files and batches. */
    public static final String BY_OWNER = "by_owner";
    /** The sparse index of the batches not yet ended, where the sweeper finds the ones due. */
    public static final String BY_SWEEP = "by_sweep";
    /** The sparse index of the files that expire, where the sweeper finds those whose time has passed. */
    public static final String BY_EXPIRY = "by_expiry";

    /** What Lambda's SQS event source does with the consuming function's role. */
    private static final String[] CONSUME = {
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes"
    };

    private static final Map<Role, List<Statement>> DEPLOYED = new EnumMap<>(Map.of(
            // Files' bytes and the Uploads API's parts: written, read to be joined, deleted. The role also
            // signs the short-lived download URLs of large files, so it reads files/ for whoever holds one.
            Role.API,
                    List.of(
                            allow(objects(Bucket.DATA, FILES), "s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
                            allow(objects(Bucket.DATA, UPLOADS), "s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
                            // A running batch's results, read from its chunks, logs and parts; one too large to
                            // answer with is written whole as a snapshot, which its presigned URL reads.
                            allow(objects(Bucket.DATA, BATCHES), "s3:GetObject"),
                            allow(objects(Bucket.DATA, SNAPSHOTS), "s3:PutObject"),
                            allow(bucket(Bucket.DATA), "s3:ListBucket"),
                            // The files table holds the uploads' records too, which move from pending to completed or
                            // cancelled.
                            allow(
                                    items(Table.FILES),
                                    "dynamodb:GetItem",
                                    "dynamodb:PutItem",
                                    "dynamodb:UpdateItem",
                                    "dynamodb:DeleteItem"),
                            allow(index(Table.FILES, BY_OWNER), "dynamodb:Query"),
                            allow(items(Table.BATCHES), "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
                            allow(index(Table.BATCHES, BY_OWNER), "dynamodb:Query"),
                            allow(stateMachine(), "states:StartExecution"),
                            // The Webhook Endpoints API: endpoints created, read, written over (update,
                            // rotation) and deleted; a test event is POSTed to the receiver from here.
                            allow(items(Table.WEBHOOKS), "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"),
                            allow(index(Table.WEBHOOKS, BY_OWNER), "dynamodb:Query"),
                            // Creating and cancelling a batch change its status: published on the bus.
                            publishStatusChanges()),
            Role.AUTHORIZER, List.of(allow(items(Table.KEYS), "dynamodb:GetItem")),
            // The chunks of a refused file are deleted (DeleteObjects), so none outlives its batch. A run
            // again reads how the input was cut (batches/<id>/cut.json) rather than the input, which may
            // have expired since.
            Role.VALIDATE,
                    List.of(
                            allow(objects(Bucket.DATA, FILES), "s3:GetObject"),
                            allow(objects(Bucket.DATA, BATCHES), "s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
                            allow(bucket(Bucket.DATA), "s3:ListBucket"),
                            allow(items(Table.BATCHES), "dynamodb:GetItem", "dynamodb:UpdateItem"),
                            publishStatusChanges()),
            // A dropped batch's results: output and error files copied beside the drop, batch.json written,
            // an earlier version's leftovers removed, and a newer version's batch.json read and left alone.
            // A chunk with no whole part gets one here, from its checkpoint log: the log and the part are written.
            Role.FINALIZE,
                    List.of(
                            allow(objects(Bucket.DATA, BATCHES), "s3:GetObject", "s3:PutObject"),
                            allow(objects(Bucket.DATA, FILES), "s3:GetObject", "s3:PutObject"),
                            allow(objects(Bucket.DATA, DROPS), "s3:GetObject"),
                            allow(bucket(Bucket.DATA), "s3:ListBucket"),
                            allow(objects(Bucket.INGEST, RESULTS), "s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
                            allow(bucket(Bucket.INGEST), "s3:ListBucket"),
                            allow(items(Table.FILES), "dynamodb:GetItem", "dynamodb:PutItem"),
                            allow(items(Table.BATCHES), "dynamodb:GetItem", "dynamodb:UpdateItem"),
                            // A batch's end is queued for the webhook sender; no receiver is called here.
                            allow(queue(Queue.WEBHOOKS), "sqs:SendMessage"),
                            publishStatusChanges()),
            // s3:ListBucket on an image bucket makes a missing image a 404, and lets the SDK's region
            // discovery HeadBucket. The queue actions are the event source's; the worker itself also
            // changes a failed message's visibility.
            Role.WORKER,
                    List.of(
                            allow(objects(Bucket.DATA, BATCHES), "s3:GetObject", "s3:PutObject"),
                            // A dropped batch's results folder shows each part as it is written (partial/): the
                            // drop's record read, its batch.json read (not rewritten once there), the part put.
                            allow(objects(Bucket.DATA, DROPS), "s3:GetObject"),
                            allow(bucket(Bucket.DATA), "s3:ListBucket"),
                            allow(objects(Bucket.INGEST, RESULTS), "s3:GetObject", "s3:PutObject"),
                            allow(bucket(Bucket.INGEST), "s3:ListBucket"),
                            allow(items(Table.BATCHES), "dynamodb:GetItem", "dynamodb:UpdateItem"),
                            allow(stateMachine(), "states:SendTaskSuccess"),
                            allow(queue(Queue.CHUNKS), CONSUME),
                            // A chunk that outlives an invocation goes on in a fresh message (same body, same task
                            // token), so its receive count does not grow with its lifetimes; one whose job has no
                            // capacity to spare goes back the same way, for a moment.
                            allow(queue(Queue.CHUNKS), "sqs:SendMessage"),
                            // Its leases on the jobs' capacity: read, then written over the version read.
                            allow(items(Table.CAPACITY), "dynamodb:GetItem", "dynamodb:PutItem"),
                            allow(new Resource.JobSecrets(), "secretsmanager:GetSecretValue"),
                            allow(new Resource.ImageObjects(), "s3:GetObject"),
                            allow(new Resource.ImageBuckets(), "s3:ListBucket")),
            // Ends a chunk that failed on every delivery as chunk_failed: no secret, no endpoint, no image.
            Role.DEAD_LETTERS,
                    List.of(
                            allow(objects(Bucket.DATA, BATCHES), "s3:GetObject", "s3:PutObject"),
                            allow(bucket(Bucket.DATA), "s3:ListBucket"),
                            allow(items(Table.BATCHES), "dynamodb:GetItem", "dynamodb:UpdateItem"),
                            allow(stateMachine(), "states:SendTaskSuccess"),
                            allow(queue(Queue.CHUNK_DEAD_LETTERS), CONSUME)),
            // The drop copied in as the batch's input file, with the record of where it came from; a drop
            // seen again after its batch ended has its results written from the output files. A drop whose
            // ingest fails after Lambda's retries goes to the dead-letter queue (Lambda's async destination).
            Role.INGEST,
                    List.of(
                            allow(objects(Bucket.INGEST, INCOMING), "s3:GetObject"),
                            allow(objects(Bucket.INGEST, RESULTS), "s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
                            allow(bucket(Bucket.INGEST), "s3:ListBucket"),
                            allow(objects(Bucket.DATA, FILES), "s3:GetObject", "s3:PutObject"),
                            allow(objects(Bucket.DATA, DROPS), "s3:PutObject"),
                            allow(items(Table.FILES), "dynamodb:GetItem", "dynamodb:PutItem"),
                            allow(items(Table.BATCHES), "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
                            allow(stateMachine(), "states:StartExecution"),
                            allow(
                                    queue(Queue.INGEST_DEAD_LETTERS),
                                    "sqs:SendMessage",
                                    "sqs:GetQueueAttributes",
                                    "sqs:GetQueueUrl"),
                            publishStatusChanges()),
            // Starts a batch whose start was lost, gives a batch whose run ended or stalled a new run (stopping
            // the old one), and ends failed a batch out of runs, writing a dropped batch's results as the
            // finalizer does. Removes the files past their expires_at: each record, then its bytes.
            Role.SWEEPER,
                    List.of(
                            allow(index(Table.BATCHES, BY_SWEEP), "dynamodb:Query"),
                            allow(items(Table.BATCHES), "dynamodb:GetItem", "dynamodb:UpdateItem"),
                            allow(stateMachine(), "states:StartExecution"),
                            allow(new Resource.Executions(), "states:DescribeExecution", "states:StopExecution"),
                            allow(objects(Bucket.DATA, DROPS), "s3:GetObject"),
                            allow(objects(Bucket.DATA, FILES), "s3:GetObject", "s3:DeleteObject"),
                            allow(index(Table.FILES, BY_EXPIRY), "dynamodb:Query"),
                            allow(items(Table.FILES), "dynamodb:DeleteItem"),
                            allow(bucket(Bucket.DATA), "s3:ListBucket"),
                            allow(objects(Bucket.INGEST, RESULTS), "s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
                            allow(bucket(Bucket.INGEST), "s3:ListBucket"),
                            allow(queue(Queue.WEBHOOKS), "sqs:SendMessage"),
                            publishStatusChanges()),
            // Reads the tenant's endpoints and their secrets, queues one delivery per endpoint, and keeps a
            // delivery to be retried hidden in its queue until its next try.
            Role.WEBHOOKS,
                    List.of(
                            allow(items(Table.WEBHOOKS), "dynamodb:GetItem"),
                            allow(index(Table.WEBHOOKS, BY_OWNER), "dynamodb:Query"),
                            allow(queue(Queue.WEBHOOKS), CONSUME),
                            allow(queue(Queue.WEBHOOKS), "sqs:SendMessage")),
            Role.STATE_MACHINE,
                    List.of(
                            allow(function(Role.VALIDATE), "lambda:InvokeFunction"),
                            allow(function(Role.FINALIZE), "lambda:InvokeFunction"),
                            allow(queue(Queue.CHUNKS), "sqs:SendMessage"))));

    private final Map<Role, List<Statement>> statements;

    private Permissions(Map<Role, List<Statement>> statements) {
        EnumMap<Role, List<Statement>> copy = new EnumMap<>(Role.class);
        for (Role role : Role.values()) {
            copy.put(role, List.copyOf(statements.getOrDefault(role, List.of())));
        }
        this.statements = copy;
    }

    /** What the stack grants, and what the local runtime allows. */
    public static Permissions deployed() {
        return new Permissions(DEPLOYED);
    }

    /** A role's statements, in the order declared. */
    public List<Statement> of(Role role) {
        return statements.get(role);
    }

    /**
     * These permissions but for one action on one resource of a role: how a test shows what a
     * missing grant does.
     *
     * @throws IllegalArgumentException when the role is not allowed that action there
     */
    public Permissions without(Role role, String action, Resource resource) {
        List<Statement> kept = new ArrayList<>();
        boolean found = false;
        for (Statement statement : of(role)) {
            if (statement.resource().equals(resource) && statement.actions().contains(action)) {
                found = true;
                List<String> rest = statement.actions().stream()
                        .filter(a -> !a.equals(action))
                        .toList();
                if (!rest.isEmpty()) {
                    kept.add(new Statement(rest, resource));
                }
            } else {
                kept.add(statement);
            }
        }
        if (!found) {
            throw new IllegalArgumentException(role + " is not allowed " + action + " on " + resource);
        }
        EnumMap<Role, List<Statement>> changed = new EnumMap<>(statements);
        changed.put(role, kept);
        return new Permissions(changed);
    }

    /**
     * Each role's statements as a Markdown table, one row per statement: what
     * {@code docs/permissions.md} shows, and a test holds it to.
     */
    public String markdown() {
        StringBuilder table = new StringBuilder("| role | actions | resource |\n| --- | --- | --- |\n");
        for (Role role : Role.values()) {
            for (Statement statement : of(role)) {
                table.append("| ")
                        .append(role.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                        .append(" | ")
                        .append(String.join(
                                ", ",
                                statement.actions().stream()
                                        .map(a -> "`" + a + "`")
                                        .toList()))
                        .append(" | ")
                        .append(describe(statement.resource()))
                        .append(" |\n");
            }
        }
        return table.toString();
    }

    /** A resource in words, as the documentation names it. */
    public static String describe(Resource resource) {
        return switch (resource) {
            case Resource.Objects objects -> name(objects.bucket()) + " bucket's objects `" + objects.keys() + "`";
            case Resource.WholeBucket whole -> name(whole.bucket()) + " bucket itself";
            case Resource.Items items -> name(items.table()) + " table";
            case Resource.Index index -> name(index.table()) + " table's index `" + index.index() + "`";
            case Resource.MessageQueue queue ->
                switch (queue.queue()) {
                    case CHUNKS -> "chunk queue";
                    case CHUNK_DEAD_LETTERS -> "chunk dead-letter queue";
                    case INGEST_DEAD_LETTERS -> "ingest dead-letter queue";
                    case WEBHOOKS -> "webhook queue";
                };
            case Resource.StateMachine ignored -> "batch state machine";
            case Resource.Executions ignored -> "batch state machine's executions";
            case Resource.Function function -> name(function.function()) + " function";
            case Resource.JobSecrets ignored -> "each job's secret (`secret_arn`)";
            case Resource.ImageObjects ignored ->
                "each image bucket's objects `*` (if `bucket:account`: while that account owns it)";
            case Resource.ImageBuckets ignored ->
                "each image bucket itself (if `bucket:account`: while that account owns it)";
            case Resource.DefaultEventBus ignored -> "the account's default event bus";
        };
    }

    private static String name(Enum<?> value) {
        return value.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }

    public static Statement allow(Resource resource, String... actions) {
        return new Statement(Arrays.asList(actions), resource);
    }

    public static Resource objects(Bucket bucket, String keys) {
        return new Resource.Objects(bucket, keys);
    }

    public static Resource bucket(Bucket bucket) {
        return new Resource.WholeBucket(bucket);
    }

    public static Resource items(Table table) {
        return new Resource.Items(table);
    }

    public static Resource index(Table table, String index) {
        return new Resource.Index(table, index);
    }

    public static Resource queue(Queue queue) {
        return new Resource.MessageQueue(queue);
    }

    public static Resource stateMachine() {
        return new Resource.StateMachine();
    }

    public static Resource defaultEventBus() {
        return new Resource.DefaultEventBus();
    }

    /** What a role that changes batches' statuses may do on the bus: publish, and nothing else. */
    private static Statement publishStatusChanges() {
        return allow(defaultEventBus(), "events:PutEvents");
    }

    public static Resource function(Role function) {
        return new Resource.Function(function);
    }

    /**
     * An image bucket as configured, {@code bucket} or {@code bucket:account}: its name, and the
     * account that must own it for the worker to read it (IAM's {@code s3:ResourceAccount}), if any.
     */
    public record ImageBucket(String name, String owner) {

        public static ImageBucket parse(String configured) {
            String[] parts = configured.split(":", 2);
            return new ImageBucket(parts[0], parts.length == 2 ? parts[1] : null);
        }
    }
}
