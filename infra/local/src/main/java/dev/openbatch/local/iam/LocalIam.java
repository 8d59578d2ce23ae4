package dev.openbatch.local.iam;

import dev.openbatch.deployment.Permissions;
import dev.openbatch.deployment.Permissions.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The deployment's {@link Permissions}, resolved to the local runtime's resources: the same
 * statements the CDK stack grants, on the ARNs the local resources have
 * ({@code arn:aws:s3:::openbatch-data/batches/*},
 * {@code arn:aws:dynamodb:us-east-1:000000000000:table/openbatch-batches}, ...). Each role's
 * {@link Policy} answers whether it may perform an action on a resource, as IAM's identity-based
 * evaluation does for an allow-only policy.
 */
public final class LocalIam {

    /** The account every local resource belongs to, as the emulators report it. */
    public static final String ACCOUNT = "000000000000";

    /**
     * The local resources' names.
     *
     * @param region       the region of the tables, queues and state machine
     * @param buckets      the data and ingest buckets
     * @param tables       the tables
     * @param queues       the queues
     * @param stateMachine the state machine's ARN
     * @param functions    the functions the state machine invokes, by name
     * @param secretArns   the jobs' secrets
     * @param imageBuckets the image buckets as configured, {@code bucket} or {@code bucket:account}
     */
    public record Resources(
            String region,
            Map<Permissions.Bucket, String> buckets,
            Map<Permissions.Table, String> tables,
            Map<Permissions.Queue, String> queues,
            String stateMachine,
            Map<Permissions.Role, String> functions,
            List<String> secretArns,
            List<String> imageBuckets) {

        public Resources {
            buckets = Map.copyOf(buckets);
            tables = Map.copyOf(tables);
            queues = Map.copyOf(queues);
            functions = Map.copyOf(functions);
            secretArns = List.copyOf(secretArns);
            imageBuckets = List.copyOf(imageBuckets);
        }

        String tableArn(String table) {
            return "arn:aws:dynamodb:" + region + ":" + ACCOUNT + ":table/" + table;
        }

        String queueArn(String account, String queue) {
            return "arn:aws:sqs:" + region + ":" + account + ":" + queue;
        }

        String defaultEventBusArn() {
            return "arn:aws:events:" + region + ":" + ACCOUNT + ":event-bus/default";
        }

        String functionArn(String function) {
            return "arn:aws:lambda:" + region + ":" + ACCOUNT + ":function:" + function;
        }

        static String bucketArn(String bucket) {
            return "arn:aws:s3:::" + bucket;
        }
    }

    /**
     * One action on the resources matching an ARN pattern ({@code *} any run of characters,
     * {@code ?} one), allowed only while the resource belongs to {@code resourceAccount} when given.
     */
    record Grant(String action, String resource, String resourceAccount) {}

    /**
     * What one role may do.
     *
     * @param role    the role's name, as IAM's messages show it
     * @param grants  its allowed actions on resources
     */
    public record Policy(String role, List<Grant> grants) {

        /** Whether an action on a resource (of the local account) is allowed. */
        public boolean allows(String action, String arn) {
            for (Grant grant : grants) {
                if (grant.action().equalsIgnoreCase(action)
                        && matches(grant.resource(), arn)
                        && (grant.resourceAccount() == null
                                || grant.resourceAccount().equals(ACCOUNT))) {
                    return true;
                }
            }
            return false;
        }
    }

    private final Permissions permissions;
    private final Resources resources;

    public LocalIam(Permissions permissions, Resources resources) {
        this.permissions = permissions;
        this.resources = resources;
    }

    public Resources resources() {
        return resources;
    }

    /** A role's policy, named {@code roleName} in refusals. */
    public Policy policy(Permissions.Role role, String roleName) {
        List<Grant> grants = new ArrayList<>();
        for (Permissions.Statement statement : permissions.of(role)) {
            for (Grant target : targets(statement.resource())) {
                for (String action : statement.actions()) {
                    grants.add(new Grant(action, target.resource(), target.resourceAccount()));
                }
            }
        }
        return new Policy(roleName, List.copyOf(grants));
    }

    /** A resource's ARNs here, with their owner condition (the action left empty). */
    private List<Grant> targets(Resource resource) {
        return switch (resource) {
            case Resource.Objects objects ->
                List.of(target(Resources.bucketArn(bucket(objects.bucket())) + "/" + objects.keys()));
            case Resource.WholeBucket whole -> List.of(target(Resources.bucketArn(bucket(whole.bucket()))));
            // A table this runtime does not have (the capacity table in a test's resources) grants nothing.
            case Resource.Items items ->
                resources.tables().containsKey(items.table())
                        ? List.of(target(resources.tableArn(table(items.table()))))
                        : List.of();
            case Resource.Index index ->
                resources.tables().containsKey(index.table())
                        ? List.of(target(resources.tableArn(table(index.table())) + "/index/" + index.index()))
                        : List.of();
            case Resource.MessageQueue queue ->
                List.of(target(resources.queueArn(
                        ACCOUNT,
                        Objects.requireNonNull(
                                resources.queues().get(queue.queue()), "no local queue " + queue.queue()))));
            case Resource.StateMachine ignored ->
                resources.stateMachine() == null ? List.of() : List.of(target(resources.stateMachine()));
            case Resource.Executions ignored ->
                resources.stateMachine() == null
                        ? List.of()
                        : List.of(target(resources.stateMachine().replace(":stateMachine:", ":execution:") + ":*"));
            case Resource.Function function ->
                List.of(target(resources.functionArn(Objects.requireNonNull(
                        resources.functions().get(function.function()), "no local function " + function.function()))));
            case Resource.JobSecrets ignored ->
                resources.secretArns().stream().map(LocalIam::target).toList();
            case Resource.ImageObjects ignored -> imageBuckets("/*");
            case Resource.ImageBuckets ignored -> imageBuckets("");
            case Resource.DefaultEventBus ignored -> List.of(target(resources.defaultEventBusArn()));
        };
    }

    private List<Grant> imageBuckets(String suffix) {
        return resources.imageBuckets().stream()
                .map(Permissions.ImageBucket::parse)
                .map(b -> new Grant("", Resources.bucketArn(b.name()) + suffix, b.owner()))
                .toList();
    }

    private static Grant target(String arn) {
        return new Grant("", arn, null);
    }

    private String bucket(Permissions.Bucket bucket) {
        return Objects.requireNonNull(resources.buckets().get(bucket), "no local bucket " + bucket);
    }

    private String table(Permissions.Table table) {
        return Objects.requireNonNull(resources.tables().get(table), "no local table " + table);
    }

    /** IAM's resource matching: {@code *} matches any run of characters ({@code /} included), {@code ?} one. */
    static boolean matches(String pattern, String arn) {
        int p = 0;
        int a = 0;
        int star = -1;
        int mark = 0;
        while (a < arn.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == arn.charAt(a))) {
                p++;
                a++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = a;
            } else if (star >= 0) {
                p = star + 1;
                a = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    /** The assumed-role ARN a function's calls are made as: {@code arn:aws:sts::<account>:assumed-role/<role>/<session>}. */
    static String principal(String role, String session) {
        return "arn:aws:sts::" + ACCOUNT + ":assumed-role/" + role + "/" + session;
    }

    static String lower(String action) {
        return action.toLowerCase(Locale.ROOT);
    }
}
