package dev.openbatch.aws;

import dev.openbatch.core.pipeline.Sweep;
import dev.openbatch.core.webhooks.RetrySchedule;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the functions need to know of their deployment, read once from the environment. The local
 * runtime passes the same names, pointing the clients at its emulators.
 *
 * @param region            {@code AWS_REGION}
 * @param bucket            {@code OPENBATCH_BUCKET}: file bytes, chunks, parts and outputs
 * @param filesTable        {@code OPENBATCH_FILES_TABLE}
 * @param batchesTable      {@code OPENBATCH_BATCHES_TABLE}
 * @param jobsJson          {@code OPENBATCH_JOBS}: the job catalog, see {@code JobCatalog}
 * @param stateMachineArn   {@code OPENBATCH_STATE_MACHINE_ARN}: what runs a batch (the API starts it)
 * @param chunkLines        {@code OPENBATCH_CHUNK_LINES}: the fewest request lines per chunk (default 500), the input spread over {@code mapConcurrency} chunks when its lines allow
 * @param mapConcurrency    {@code OPENBATCH_MAP_CONCURRENCY}: chunks of one batch in flight at once (default 10)
 * @param window24h         {@code OPENBATCH_WINDOW_24H_SECONDS}: how long the {@code 24h} window lasts
 *                          (default 86400; shortened only to test expiry)
 * @param endpoints         endpoint overrides by service, from the SDK's own names
 *                          {@code AWS_ENDPOINT_URL_S3}, {@code _DYNAMODB}, {@code _SQS}, {@code _SFN},
 *                          {@code _SECRETS_MANAGER}, {@code _EVENTBRIDGE}
 * @param staticCredentials an access key pair for emulators, from {@code OPENBATCH_STATIC_CREDENTIALS}
 *                          ({@code id:secret}); absent in the cloud, where the role's credentials serve
 * @param images            where the worker may fetch images from, see {@link Images}
 * @param ingestBucket      {@code OPENBATCH_INGEST_BUCKET}: where operators drop input files under
 *                          {@code incoming/} and find results under {@code results/}; absent, no S3 drops
 * @param keysTable         {@code OPENBATCH_KEYS_TABLE}: the API keys, by hash (the authorizer reads it);
 *                          null where keys are not used
 * @param retries           how the worker waits before trying a request or a chunk again, see {@link Retries}
 * @param capacityTable     {@code OPENBATCH_CAPACITY_TABLE}: the jobs' capacity leases, which bound a job's
 *                          requests in flight across every worker; null bounds each worker on its own
 * @param webhooks          where webhook endpoints and deliveries are kept, and how receivers are reached,
 *                          see {@link Webhooks}
 * @param eventBus          {@code OPENBATCH_EVENT_BUS}: the EventBridge bus every status change of a batch is
 *                          published on ({@code default}, the account's default bus); null publishes nothing
 */
public record Settings(
        String region,
        String bucket,
        String filesTable,
        String batchesTable,
        String jobsJson,
        String stateMachineArn,
        int chunkLines,
        int mapConcurrency,
        Duration window24h,
        Map<String, URI> endpoints,
        Optional<String[]> staticCredentials,
        Images images,
        Optional<String> ingestBucket,
        String keysTable,
        Retries retries,
        String capacityTable,
        Webhooks webhooks,
        String eventBus) {

    /**
     * Webhook endpoints and their deliveries.
     *
     * @param endpointsTable {@code OPENBATCH_WEBHOOKS_TABLE}: the tenants' webhook endpoints, with their
     *                       signing secrets; null: no Webhook Endpoints API and no deliveries
     * @param queueUrl       {@code OPENBATCH_WEBHOOK_QUEUE_URL}: where a batch's end is queued for the sender
     * @param trustedHosts   {@code OPENBATCH_WEBHOOK_TRUSTED_HOSTS}: receiver hosts whose addresses are not
     *                       checked to be public (local testing)
     * @param allowHttp      {@code OPENBATCH_WEBHOOK_ALLOW_HTTP}: {@code true} delivers to plain http URLs too
     *                       (local testing)
     * @param retries        {@code OPENBATCH_WEBHOOK_RETRY_SECONDS} (first wait, default 30),
     *                       {@code OPENBATCH_WEBHOOK_RETRY_MAX_SECONDS} (longest wait, default 3600) and
     *                       {@code OPENBATCH_WEBHOOK_RETRY_PERIOD_SECONDS} (how long tries go on, default
     *                       259200 = 72 h); see {@link RetrySchedule}
     */
    public record Webhooks(
            String endpointsTable,
            String queueUrl,
            Set<String> trustedHosts,
            boolean allowHttp,
            RetrySchedule retries) {

        public static final Webhooks NONE = new Webhooks(null, null, Set.of(), false, RetrySchedule.DEFAULT);

        public Webhooks {
            trustedHosts = Set.copyOf(trustedHosts);
        }

        public boolean enabled() {
            return endpointsTable != null && !endpointsTable.isBlank();
        }

        static Webhooks fromEnvironment(Map<String, String> env) {
            RetrySchedule defaults = RetrySchedule.DEFAULT;
            return new Webhooks(
                    env.get("OPENBATCH_WEBHOOKS_TABLE"),
                    env.get("OPENBATCH_WEBHOOK_QUEUE_URL"),
                    commaSet(env.getOrDefault("OPENBATCH_WEBHOOK_TRUSTED_HOSTS", "")),
                    Boolean.parseBoolean(env.getOrDefault("OPENBATCH_WEBHOOK_ALLOW_HTTP", "false")),
                    new RetrySchedule(
                            seconds(env, "OPENBATCH_WEBHOOK_RETRY_SECONDS", defaults.first()),
                            seconds(env, "OPENBATCH_WEBHOOK_RETRY_MAX_SECONDS", defaults.longest()),
                            seconds(env, "OPENBATCH_WEBHOOK_RETRY_PERIOD_SECONDS", defaults.period())));
        }

        private static Duration seconds(Map<String, String> env, String name, Duration absent) {
            return Duration.ofSeconds(Long.parseLong(env.getOrDefault(name, Long.toString(absent.toSeconds()))));
        }
    }

    private static Set<String> commaSet(String list) {
        return Arrays.stream(list.split(","))
                .map(String::trim)
                .filter(h -> !h.isEmpty())
                .collect(Collectors.toSet());
    }

    /**
     * How the worker waits before trying again.
     *
     * @param requestTimeout    {@code OPENBATCH_REQUEST_TIMEOUT_SECONDS}: how long one request to the inference
     *                          endpoint may take before it counts as a timeout and is retried (default 600)
     * @param requestRetryDelay {@code OPENBATCH_REQUEST_RETRY_MS}: the backoff ceiling after a request's first
     *                          failure, doubling after each (default 500; see {@code RetryPolicy})
     * @param chunkRetryDelay   {@code OPENBATCH_CHUNK_RETRY_SECONDS}: how long a chunk message whose run failed
     *                          stays hidden before its next delivery, doubling with each delivery up to 15
     *                          minutes (default 30; 0 delivers it again at once)
     */
    public record Retries(Duration requestTimeout, Duration requestRetryDelay, Duration chunkRetryDelay) {

        public static final Retries DEFAULT =
                new Retries(Duration.ofMinutes(10), Duration.ofMillis(500), Duration.ofSeconds(30));

        static Retries fromEnvironment(Map<String, String> env) {
            return new Retries(
                    Duration.ofSeconds(Long.parseLong(env.getOrDefault(
                            "OPENBATCH_REQUEST_TIMEOUT_SECONDS",
                            Long.toString(DEFAULT.requestTimeout().toSeconds())))),
                    Duration.ofMillis(Long.parseLong(env.getOrDefault(
                            "OPENBATCH_REQUEST_RETRY_MS",
                            Long.toString(DEFAULT.requestRetryDelay().toMillis())))),
                    Duration.ofSeconds(Long.parseLong(env.getOrDefault(
                            "OPENBATCH_CHUNK_RETRY_SECONDS",
                            Long.toString(DEFAULT.chunkRetryDelay().toSeconds())))));
        }
    }

    /**
     * Where images may come from.
     *
     * @param buckets      {@code OPENBATCH_IMAGE_BUCKETS}: the buckets {@code s3://} URLs may name, a comma
     *                     list of {@code bucket} or {@code bucket:expected-owner-account-id}; none by default
     * @param trustedHosts {@code OPENBATCH_IMAGE_TRUSTED_HOSTS}: https hosts whose addresses are not checked
     *                     to be public (internal image servers)
     * @param allowHttp    {@code OPENBATCH_IMAGE_ALLOW_HTTP}: {@code true} fetches plain http too (local testing)
     * @param trustPem     {@code OPENBATCH_IMAGE_TRUST_PEM}: a PEM file of certificates trusted for https images
     *                     besides the JVM's authorities (an internal CA)
     * @param s3Endpoint   {@code OPENBATCH_IMAGE_S3_ENDPOINT}: where the image reader sends S3 requests, when
     *                     not to S3 itself (the local runtime's regional front); else {@code AWS_ENDPOINT_URL_S3}
     */
    public record Images(
            String buckets,
            Set<String> trustedHosts,
            boolean allowHttp,
            Optional<Path> trustPem,
            Optional<URI> s3Endpoint) {

        /** No bucket, https only, every host checked. */
        public static final Images NONE = new Images("", Set.of(), false, Optional.empty(), Optional.empty());

        static Images fromEnvironment(Map<String, String> env) {
            String hosts = env.getOrDefault("OPENBATCH_IMAGE_TRUSTED_HOSTS", "");
            return new Images(
                    env.getOrDefault("OPENBATCH_IMAGE_BUCKETS", ""),
                    Arrays.stream(hosts.split(","))
                            .map(String::trim)
                            .filter(h -> !h.isEmpty())
                            .collect(Collectors.toSet()),
                    Boolean.parseBoolean(env.getOrDefault("OPENBATCH_IMAGE_ALLOW_HTTP", "false")),
                    Optional.ofNullable(env.get("OPENBATCH_IMAGE_TRUST_PEM"))
                            .filter(p -> !p.isBlank())
                            .map(Path::of),
                    Optional.ofNullable(env.get("OPENBATCH_IMAGE_S3_ENDPOINT"))
                            .filter(u -> !u.isBlank())
                            .map(URI::create));
        }
    }

    public static final String S3 = "S3";
    public static final String DYNAMODB = "DYNAMODB";
    public static final String SQS = "SQS";
    public static final String SFN = "SFN";
    public static final String SECRETS_MANAGER = "SECRETS_MANAGER";
    public static final String EVENTBRIDGE = "EVENTBRIDGE";

    public Settings {
        endpoints = Map.copyOf(endpoints);
        webhooks = webhooks == null ? Webhooks.NONE : webhooks;
    }

    public static Settings fromEnvironment(Map<String, String> env) {
        Map<String, URI> endpoints = new HashMap<>();
        for (String service : new String[] {S3, DYNAMODB, SQS, SFN, SECRETS_MANAGER, EVENTBRIDGE}) {
            String url = env.get("AWS_ENDPOINT_URL_" + service);
            if (url != null && !url.isBlank()) {
                endpoints.put(service, URI.create(url));
            }
        }
        return new Settings(
                required(env, "AWS_REGION"),
                required(env, "OPENBATCH_BUCKET"),
                required(env, "OPENBATCH_FILES_TABLE"),
                required(env, "OPENBATCH_BATCHES_TABLE"),
                required(env, "OPENBATCH_JOBS"),
                env.get("OPENBATCH_STATE_MACHINE_ARN"),
                Integer.parseInt(env.getOrDefault("OPENBATCH_CHUNK_LINES", "500")),
                Integer.parseInt(env.getOrDefault("OPENBATCH_MAP_CONCURRENCY", "10")),
                Duration.ofSeconds(Long.parseLong(env.getOrDefault("OPENBATCH_WINDOW_24H_SECONDS", "86400"))),
                endpoints,
                Optional.ofNullable(env.get("OPENBATCH_STATIC_CREDENTIALS")).map(c -> c.split(":", 2)),
                Images.fromEnvironment(env),
                Optional.ofNullable(env.get("OPENBATCH_INGEST_BUCKET")).filter(b -> !b.isBlank()),
                env.get("OPENBATCH_KEYS_TABLE"),
                Retries.fromEnvironment(env),
                env.get("OPENBATCH_CAPACITY_TABLE"),
                Webhooks.fromEnvironment(env),
                Optional.ofNullable(env.get("OPENBATCH_EVENT_BUS"))
                        .filter(b -> !b.isBlank())
                        .orElse(null));
    }

    /**
     * The sweeper's bounds, from {@code OPENBATCH_SWEEP_GRACE_SECONDS} (default 300),
     * {@code OPENBATCH_SWEEP_STALL_SECONDS} (default 86400) and {@code OPENBATCH_SWEEP_MAX_RUNS}
     * (default 5); see {@code Sweep.Bounds}.
     */
    public static Sweep.Bounds sweepBounds(Map<String, String> env) {
        Sweep.Bounds defaults = Sweep.Bounds.DEFAULT;
        return new Sweep.Bounds(
                Duration.ofSeconds(Long.parseLong(env.getOrDefault(
                        "OPENBATCH_SWEEP_GRACE_SECONDS",
                        Long.toString(defaults.grace().toSeconds())))),
                Duration.ofSeconds(Long.parseLong(env.getOrDefault(
                        "OPENBATCH_SWEEP_STALL_SECONDS",
                        Long.toString(defaults.stall().toSeconds())))),
                Integer.parseInt(env.getOrDefault("OPENBATCH_SWEEP_MAX_RUNS", Integer.toString(defaults.maxRuns()))));
    }

    /** These settings, publishing batches' status changes on {@code bus} of the EventBridge at {@code endpoint}. */
    public Settings withEventBus(URI endpoint, String bus) {
        Map<String, URI> withBus = new HashMap<>(endpoints);
        withBus.put(EVENTBRIDGE, endpoint);
        return toBuilder().endpoints(withBus).eventBus(bus).build();
    }

    /**
     * Settings named one by one (the local runtime's, tests'): each absent one as a deployment's
     * environment would leave it — no endpoint overrides, keys, capacity table, webhooks or bus.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from these settings. */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.region = region;
        builder.bucket = bucket;
        builder.filesTable = filesTable;
        builder.batchesTable = batchesTable;
        builder.jobsJson = jobsJson;
        builder.stateMachineArn = stateMachineArn;
        builder.chunkLines = chunkLines;
        builder.mapConcurrency = mapConcurrency;
        builder.window24h = window24h;
        builder.endpoints = endpoints;
        builder.staticCredentials = staticCredentials;
        builder.images = images;
        builder.ingestBucket = ingestBucket;
        builder.keysTable = keysTable;
        builder.retries = retries;
        builder.capacityTable = capacityTable;
        builder.webhooks = webhooks;
        builder.eventBus = eventBus;
        return builder;
    }

    /** Settings named one by one; see {@link #builder()}. */
    public static final class Builder {
        private String region = null;
        private String bucket = null;
        private String filesTable = null;
        private String batchesTable = null;
        private String jobsJson = null;
        private String stateMachineArn = null;
        private int chunkLines = 500;
        private int mapConcurrency = 10;
        private Duration window24h = Duration.ofHours(24);
        private Map<String, URI> endpoints = Map.of();
        private Optional<String[]> staticCredentials = Optional.empty();
        private Images images = Images.NONE;
        private Optional<String> ingestBucket = Optional.empty();
        private String keysTable = null;
        private Retries retries = Retries.DEFAULT;
        private String capacityTable = null;
        private Webhooks webhooks = Webhooks.NONE;
        private String eventBus = null;

        private Builder() {}

        public Builder region(String region) {
            this.region = region;
            return this;
        }

        public Builder bucket(String bucket) {
            this.bucket = bucket;
            return this;
        }

        public Builder filesTable(String filesTable) {
            this.filesTable = filesTable;
            return this;
        }

        public Builder batchesTable(String batchesTable) {
            this.batchesTable = batchesTable;
            return this;
        }

        public Builder jobsJson(String jobsJson) {
            this.jobsJson = jobsJson;
            return this;
        }

        public Builder stateMachineArn(String stateMachineArn) {
            this.stateMachineArn = stateMachineArn;
            return this;
        }

        public Builder chunkLines(int chunkLines) {
            this.chunkLines = chunkLines;
            return this;
        }

        public Builder mapConcurrency(int mapConcurrency) {
            this.mapConcurrency = mapConcurrency;
            return this;
        }

        public Builder window24h(Duration window24h) {
            this.window24h = window24h;
            return this;
        }

        public Builder endpoints(Map<String, URI> endpoints) {
            this.endpoints = endpoints;
            return this;
        }

        public Builder staticCredentials(Optional<String[]> staticCredentials) {
            this.staticCredentials = staticCredentials;
            return this;
        }

        public Builder images(Images images) {
            this.images = images;
            return this;
        }

        public Builder ingestBucket(Optional<String> ingestBucket) {
            this.ingestBucket = ingestBucket;
            return this;
        }

        public Builder keysTable(String keysTable) {
            this.keysTable = keysTable;
            return this;
        }

        public Builder retries(Retries retries) {
            this.retries = retries;
            return this;
        }

        public Builder capacityTable(String capacityTable) {
            this.capacityTable = capacityTable;
            return this;
        }

        public Builder webhooks(Webhooks webhooks) {
            this.webhooks = webhooks;
            return this;
        }

        public Builder eventBus(String eventBus) {
            this.eventBus = eventBus;
            return this;
        }

        public Settings build() {
            return new Settings(
                    region,
                    bucket,
                    filesTable,
                    batchesTable,
                    jobsJson,
                    stateMachineArn,
                    chunkLines,
                    mapConcurrency,
                    window24h,
                    endpoints,
                    staticCredentials,
                    images,
                    ingestBucket,
                    keysTable,
                    retries,
                    capacityTable,
                    webhooks,
                    eventBus);
        }
    }

    public Optional<URI> endpoint(String service) {
        return Optional.ofNullable(endpoints.get(service));
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is not set");
        }
        return value;
    }
}
