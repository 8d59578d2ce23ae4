package dev.openbatch.deployment;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One deployment's configuration, and the one configuration of both wirings: a JSON file,
 * {@code infra/cdk/openbatch.json} unless the CDK context {@code config} names another
 * ({@code cdk deploy -c config=prod.json}), which {@code bin/local --config FILE} reads too. Only
 * {@code jobs} is required; {@code config/example.json} shows every field with its default, and
 * {@code docs/configuration.md} every bound and where it comes from. A field this record does not
 * know is refused, and so is a configuration that could break a limit of the cloud for the largest
 * accepted input ({@link CloudLimits}): every instance keeps them.
 *
 * @param account                the AWS account; the CLI's default account when absent
 * @param region                 the region; the CLI's default region when absent
 * @param stackName              the CloudFormation stack ({@code openbatch})
 * @param jobs                   the job catalog, as the functions read it ({@code OPENBATCH_JOBS}); an
 *                               endpoint's credential is named by {@code secret_arn}, never given
 * @param chunkLines             the fewest request lines per chunk (500; a batch is spread over
 *                               {@code mapConcurrency} chunks when its lines allow); at least what keeps
 *                               a 50,000-line batch's chunk list and history within Step Functions' limits
 * @param mapConcurrency         chunks of one batch in flight at once (10; at most 40, an inline Map's most)
 * @param memoryMb               memory of every function but the worker (1024)
 * @param worker                 the chunk worker and its queue's event source
 * @param encryption             {@code s3} (S3-managed keys, the default) or {@code kms} (a key of the
 *                               stack's own, rotated yearly) for the data and ingest buckets
 * @param tracing                X-Ray tracing of the functions and the state machine (false)
 * @param vpc                    where the worker runs when the endpoints are private; absent: no VPC
 * @param imageBuckets           the buckets, in any region, whose objects requests may name as
 *                               {@code s3://} images: {@code bucket} or {@code bucket:owner-account-id}
 * @param imageTrustedHosts      https hosts whose address is not checked (internal image servers)
 * @param authorizerCacheSeconds how long API Gateway keeps a key's decision (60): a revocation takes
 *                               at most this long to bite; 0 asks the authorizer every time
 * @param intermediateExpiryDays how long chunks and parts stay in the data bucket (35); longer than a
 *                               batch may run, whose chunks may wait 30 days
 * @param logRetentionDays       how long the functions' and the state machine's logs are kept (30)
 * @param retainData             keep buckets, tables, key and logs when the stack is deleted (true)
 * @param alarmEmail             where alarms are mailed; absent: alarms only show in CloudWatch
 */
public record DeploymentConfig(
        @JsonProperty("account") String account,
        @JsonProperty("region") String region,
        @JsonProperty("stack_name") String stackName,
        @JsonProperty("jobs") JsonNode jobs,
        @JsonProperty("chunk_lines") Integer chunkLines,
        @JsonProperty("map_concurrency") Integer mapConcurrency,
        @JsonProperty("memory_mb") Integer memoryMb,
        @JsonProperty("worker") Worker worker,
        @JsonProperty("encryption") String encryption,
        @JsonProperty("tracing") Boolean tracing,
        @JsonProperty("vpc") VpcPlacement vpc,
        @JsonProperty("image_buckets") List<String> imageBuckets,
        @JsonProperty("image_trusted_hosts") List<String> imageTrustedHosts,
        @JsonProperty("authorizer_cache_seconds") Integer authorizerCacheSeconds,
        @JsonProperty("intermediate_expiry_days") Integer intermediateExpiryDays,
        @JsonProperty("log_retention_days") Integer logRetentionDays,
        @JsonProperty("retain_data") Boolean retainData,
        @JsonProperty("alarm_email") String alarmEmail) {

    /**
     * The chunk worker.
     *
     * @param memoryMb       its memory (1024)
     * @param timeoutSeconds how long one invocation may run (900, Lambda's most); the chunk queue's
     *                       visibility timeout is six times this, as AWS advises for event sources
     * @param batchSize      chunk messages per invocation (1: a chunk is already many requests)
     * @param maxConcurrency the most workers at once across all batches (20): with the Map's
     *                       concurrency and the job's, what bounds the load on the endpoints
     * @param requestTimeoutSeconds how long one request to a job's endpoint may take before it is
     *                       tried again ({@code OPENBATCH_REQUEST_TIMEOUT_SECONDS}); every attempt of
     *                       a request must fit in one worker's lifetime ({@link CloudLimits#checkWorker}),
     *                       and absent it is the longest that does (105 s in a worker of 900 s)
     */
    public record Worker(
            @JsonProperty("memory_mb") Integer memoryMb,
            @JsonProperty("timeout_seconds") Integer timeoutSeconds,
            @JsonProperty("batch_size") Integer batchSize,
            @JsonProperty("max_concurrency") Integer maxConcurrency,
            @JsonProperty("request_timeout_seconds") Integer requestTimeoutSeconds) {

        public Worker {
            memoryMb = within("worker.memory_mb", memoryMb, 1024, 128, 10_240);
            timeoutSeconds =
                    within("worker.timeout_seconds", timeoutSeconds, 900, 1, CloudLimits.LAMBDA_TIMEOUT_SECONDS);
            batchSize = within("worker.batch_size", batchSize, 1, 1, 10);
            // Lambda's SQS event sources take a maximum concurrency of 2 to 1000.
            maxConcurrency = within("worker.max_concurrency", maxConcurrency, 20, 2, 1000);
            requestTimeoutSeconds = requestTimeoutSeconds == null
                    ? Math.max(1, CloudLimits.longestRequestTimeout(timeoutSeconds))
                    : requestTimeoutSeconds;
            if (requestTimeoutSeconds < 1) {
                throw new IllegalArgumentException(
                        "worker.request_timeout_seconds must be at least 1, not " + requestTimeoutSeconds);
            }
            CloudLimits.checkWorker(timeoutSeconds, requestTimeoutSeconds);
        }

        /** A worker of the default request timeout, the longest that fits in its lifetime. */
        public Worker(Integer memoryMb, Integer timeoutSeconds, Integer batchSize, Integer maxConcurrency) {
            this(memoryMb, timeoutSeconds, batchSize, maxConcurrency, null);
        }
    }

    /**
     * An existing VPC for the worker, whose subnets reach the private endpoints, and S3, DynamoDB,
     * Step Functions and Secrets Manager through VPC endpoints or a NAT gateway.
     */
    public record VpcPlacement(
            @JsonProperty("vpc_id") String vpcId,
            @JsonProperty("availability_zones") List<String> availabilityZones,
            @JsonProperty("subnet_ids") List<String> subnetIds,
            @JsonProperty("security_group_ids") List<String> securityGroupIds) {

        public VpcPlacement {
            if (vpcId == null
                    || vpcId.isBlank()
                    || subnetIds == null
                    || subnetIds.isEmpty()
                    || availabilityZones == null
                    || availabilityZones.isEmpty()) {
                throw new IllegalArgumentException("vpc needs vpc_id, availability_zones and subnet_ids");
            }
            availabilityZones = List.copyOf(availabilityZones);
            subnetIds = List.copyOf(subnetIds);
            securityGroupIds = securityGroupIds == null ? List.of() : List.copyOf(securityGroupIds);
        }
    }

    public static final String S3_MANAGED = "s3";
    public static final String KMS = "kms";

    /** The retention periods CloudWatch Logs accepts. */
    static final Set<Integer> LOG_RETENTION_DAYS = Set.of(
            1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653);

    /**
     * Lambda gives a function's environment 4 KB in all; the catalog travels in it, beside the names
     * of the buckets, tables and state machine.
     */
    static final int MAX_JOBS_BYTES = 3 * 1024;

    private static final Pattern SECRET_ARN = Pattern.compile(
            "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$");
    private static final Pattern IMAGE_BUCKET = Pattern.compile("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](:\\d{12})?$");

    /** Strict, unlike the service's mapper: a misspelt field in a deployment's file is a mistake to report. */
    private static final JsonMapper STRICT = Json.MAPPER
            .rebuild()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    public DeploymentConfig {
        stackName = stackName == null ? "openbatch" : stackName;
        if (jobs == null || !jobs.isObject()) {
            throw new IllegalArgumentException("jobs is required: the job catalog, an object with a jobs list");
        }
        chunkLines = within("chunk_lines", chunkLines, 500, 1, 50_000);
        mapConcurrency = within("map_concurrency", mapConcurrency, 10, 1, 1000);
        CloudLimits.checkPipeline(chunkLines, mapConcurrency);
        memoryMb = within("memory_mb", memoryMb, 1024, 128, 10_240);
        worker = worker == null ? new Worker(null, null, null, null) : worker;
        encryption = encryption == null ? S3_MANAGED : encryption;
        if (!encryption.equals(S3_MANAGED) && !encryption.equals(KMS)) {
            throw new IllegalArgumentException("encryption is \"s3\" or \"kms\", not \"" + encryption + "\"");
        }
        tracing = tracing != null && tracing;
        imageBuckets = imageBuckets == null ? List.of() : List.copyOf(imageBuckets);
        for (String bucket : imageBuckets) {
            if (!IMAGE_BUCKET.matcher(bucket).matches()) {
                throw new IllegalArgumentException("image_buckets: \"" + bucket
                        + "\" is not a bucket name, alone or followed by :owner-account-id");
            }
        }
        imageTrustedHosts = imageTrustedHosts == null ? List.of() : List.copyOf(imageTrustedHosts);
        authorizerCacheSeconds = within("authorizer_cache_seconds", authorizerCacheSeconds, 60, 0, 3600);
        // A chunk's task may wait 30 days (statemachine/batch.asl.json): its objects must outlive it.
        intermediateExpiryDays = within("intermediate_expiry_days", intermediateExpiryDays, 35, 31, 3650);
        logRetentionDays = logRetentionDays == null ? 30 : logRetentionDays;
        if (!LOG_RETENTION_DAYS.contains(logRetentionDays)) {
            throw new IllegalArgumentException("log_retention_days is one of CloudWatch's periods "
                    + new TreeSet<>(LOG_RETENTION_DAYS) + ", not " + logRetentionDays);
        }
        retainData = retainData == null || retainData;
        checkJobs(jobs);
        int jobsBytes = jobs.toString().getBytes(StandardCharsets.UTF_8).length;
        if (jobsBytes > MAX_JOBS_BYTES) {
            throw new IllegalArgumentException("jobs: the catalog takes " + jobsBytes + " bytes, more than the "
                    + MAX_JOBS_BYTES + " that fit beside the rest of a function's environment (4 KB in all)");
        }
    }

    public static DeploymentConfig read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(
                    "no deployment configuration at " + file.toAbsolutePath()
                            + ": copy infra/cdk/config/example.json to infra/cdk/openbatch.json, or name a file with -c config=...");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public static DeploymentConfig parse(String json) {
        try {
            return STRICT.readValue(json, DeploymentConfig.class);
        } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
            throw new IllegalArgumentException(
                    e.getCause() == null ? e.getOriginalMessage() : e.getCause().getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("the deployment configuration is not valid: " + e.getMessage(), e);
        }
    }

    /** The job catalog exactly as the functions will read it from {@code OPENBATCH_JOBS}. */
    public String jobsJson() {
        return jobs.toString();
    }

    /**
     * The job catalog with the credential of each endpoint whose auth names a secret given in place,
     * as the local runtime runs it: it has no Secrets Manager. {@code credential} answers an
     * endpoint's key (the job's id for a job of one endpoint, else {@code job-.../index}) with its
     * header's value, or throws, saying where the value was looked for.
     */
    public String jobsJsonWithCredentials(Function<String, String> credential) {
        ObjectNode copy = jobs.deepCopy();
        for (JsonNode entry : copy.path("jobs")) {
            String id = entry.path("id").asText();
            JsonNode endpoints = entry.path("endpoints");
            if (!endpoints.isArray()) {
                withCredential(entry, id, credential);
            }
            for (int i = 0; i < endpoints.size(); i++) {
                withCredential(endpoints.get(i), endpoints.size() == 1 ? id : id + "/" + i, credential);
            }
        }
        return copy.toString();
    }

    private static void withCredential(JsonNode endpoint, String key, Function<String, String> credential) {
        if (endpoint.path("auth").hasNonNull("secret_arn")) {
            ObjectNode auth = (ObjectNode) endpoint.get("auth");
            auth.remove("secret_arn");
            auth.put("value", credential.apply(key));
        }
    }

    public JobCatalog jobCatalog() {
        return jobCatalog(jobs);
    }

    public boolean kms() {
        return KMS.equals(encryption);
    }

    private static JobCatalog jobCatalog(JsonNode jobs) {
        return JobCatalog.fromJson(jobs.toString());
    }

    /** In the cloud a credential lives in Secrets Manager; a value here would sit in the template in plain text. */
    private static void checkJobs(JsonNode jobs) {
        JobCatalog catalog = jobCatalog(jobs);
        for (JsonNode entry : jobs.path("jobs")) {
            Job job = catalog.find(entry.path("id").asText()).orElseThrow();
            for (Job.Endpoint endpoint : job.endpoints()) {
                Job.AuthHeader auth = endpoint.auth();
                if (auth == null) {
                    continue;
                }
                String which = job.endpoints().size() == 1 ? "job " + job.id() : "endpoint " + endpoint.key();
                if (auth.secretArn() == null) {
                    throw new IllegalArgumentException(
                            which + ": an endpoint's credential goes in Secrets Manager,"
                                    + " named by auth.secret_arn; a value in this file would be stored in the template in plain text");
                }
                if (!SECRET_ARN.matcher(auth.secretArn()).matches()) {
                    throw new IllegalArgumentException(which + ": auth.secret_arn must be a secret's complete ARN"
                            + " (ending in its six-character suffix), as `aws secretsmanager create-secret` prints it: "
                            + auth.secretArn());
                }
            }
        }
    }

    private static int within(String name, Integer value, int absent, int min, int max) {
        int v = value == null ? absent : value;
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", not " + v);
        }
        return v;
    }
}
