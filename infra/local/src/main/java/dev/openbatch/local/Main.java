package dev.openbatch.local;

import dev.openbatch.deployment.CloudLimits;
import dev.openbatch.deployment.DeploymentConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

/**
 * {@code bin/local}: starts openbatch on this machine and serves it until stopped. {@code --help}
 * lists the options ({@link #OPTIONS}); {@code docs/configuration.md} says what {@code --config}
 * takes from a deployment's file.
 */
public final class Main {

    /** An option: its name, what its value is, its default, and what it does, as {@code --help} shows it. */
    record Option(String name, String value, String meaning) {

        String line() {
            return String.format("  %-26s %s", name + (value.isEmpty() ? "" : " " + value), meaning);
        }
    }

    static final List<Option> OPTIONS = List.of(
            new Option("--config", "FILE", "a deployment's configuration, as cdk deploy reads it (default none)"),
            new Option("--port", "N", "the API (default 8080, env OPENBATCH_PORT)"),
            new Option("--host", "HOST", "the interface every server listens on (default 127.0.0.1)"),
            new Option("--data-dir", "DIR", "kept across restarts (default .openbatch, env OPENBATCH_DATA_DIR)"),
            new Option("--s3-port", "N", "the local S3 endpoint (default 4566)"),
            new Option("--dynamodb-port", "N", "DynamoDB Local (default 4567)"),
            new Option("--sqs-port", "N", "ElasticMQ (default 9324)"),
            new Option("--endpoint", "URL,..", "job-local's inference endpoint(s), a pool (default: the built-in one)"),
            new Option("--concurrency", "N", "job-local's requests in flight, all chunks together (default 64)"),
            new Option("--replicas", "N", "built-in endpoints serving job-local, each of --concurrency (default 1)"),
            new Option("--chunk-lines", "N", "the fewest request lines per chunk (default 500)"),
            new Option(
                    "--worker-timeout-seconds", "N", "stop each worker sooner, for tests (default 900, or the file's)"),
            new Option("--image-buckets", "B,..", "buckets s3:// images may name (default openbatch-images)"),
            new Option("--bucket-region", "B=R", "bucket B stands in for one in region R (repeatable; default none)"),
            new Option("--image-hosts", "H,..", "https image hosts not checked to be public (default none)"),
            new Option("--image-trust", "PEM", "certificates trusted for https images (default: the JVM's only)"),
            new Option("--allow-http-images", "", "fetch plain http:// images too (default off)"),
            new Option("--webhook-hosts", "H,..", "webhook receiver hosts not checked to be public (default none)"),
            new Option("--allow-http-webhooks", "", "deliver webhooks to plain http:// URLs too (default off)"),
            new Option("--tenants", "T,..", "require API keys, for these tenants of job-local (default: keys off)"),
            new Option("--help", "", "this list"));

    /** What a deployment's file sets: with {@code --config}, the file says it, not the command line. */
    private static final Map<String, String> SET_BY_THE_FILE = Map.of(
            "--endpoint",
            "its jobs' base_url",
            "--concurrency",
            "its jobs' concurrency",
            "--replicas",
            "its jobs' endpoints",
            "--chunk-lines",
            "chunk_lines",
            "--image-buckets",
            "image_buckets",
            "--image-hosts",
            "image_trusted_hosts",
            "--tenants",
            "its jobs' tenants");

    /** A command line this program cannot run: one line, naming what is wrong. */
    static final class UsageException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /**
     * What the command line asks for.
     *
     * @param options the runtime's options; null when {@code help}
     * @param help    whether {@code --help} was asked for
     */
    record Command(LocalRuntime.Options options, boolean help) {}

    private Main() {}

    public static void main(String[] args) throws InterruptedException {
        Command command;
        try {
            command = parse(args, System.getenv());
        } catch (UsageException e) {
            System.err.println("bin/local: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (command.help()) {
            System.out.println(help());
            return;
        }
        LocalRuntime.Options o = command.options();
        Path log = emulatorLog(o.dataDir());
        LocalRuntime runtime;
        try {
            runtime = LocalRuntime.start(o);
        } catch (PortInUseException e) {
            System.err.println("bin/local: " + e.getMessage());
            System.exit(2);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            runtime.close();
            stopped.countDown();
        }));
        System.out.println("openbatch local runtime is up");
        System.out.println("  API base URL:       " + runtime.apiBase());
        System.out.println("  console:            " + runtime.apiBase().resolve("/console") + " (docs/console.md)");
        System.out.println("  S3 endpoint:        " + runtime.s3Endpoint() + " (path-style, any credentials accepted)");
        System.out.println("  S3 drops:           s3://" + runtime.ingestBucket() + "/incoming/<job_id>/<name>.jsonl"
                + " -> s3://" + runtime.ingestBucket() + "/results/<job_id>/<name>/");
        System.out.println("  DynamoDB:           " + runtime.dynamoEndpoint());
        System.out.println("  SQS:                " + runtime.sqsEndpoint());
        System.out.println("  inference endpoint: "
                + (o.jobs() != null
                        ? "the configuration's jobs"
                        : runtime.inferenceEndpoint()
                                + (o.endpoint() == null
                                        ? " (built-in reference endpoint, job-local)"
                                        : " (job-local)")));
        System.out.println(
                "  image buckets:      " + String.join(", ", o.images().buckets())
                        + (o.images().bucketRegions().isEmpty()
                                ? ""
                                : " (regions " + o.images().bucketRegions() + ")"));
        System.out.println("  API keys:           "
                + (o.tenants().isEmpty()
                        ? "off: every request acts for the tenant \"default\" (--tenants turns keys on)"
                        : "required, from the DynamoDB table " + LocalRuntime.KEYS_TABLE + ", for tenants "
                                + String.join(", ", o.tenants())));
        System.out.println("  data directory:     " + runtime.dataDir());
        System.out.println("  emulators' log:     " + log);
        if (runtime.resumedExecutions() > 0) {
            int resumed = runtime.resumedExecutions();
            System.out.println(
                    "  resumed:            " + resumed + (resumed == 1 ? " batch that was" : " batches that were")
                            + " still running when bin/local last stopped");
        }
        System.out.flush();
        stopped.await();
    }

    /**
     * Where the emulators' own logs go (DynamoDB Local, S3Proxy and ElasticMQ log through SLF4J):
     * a file in the data directory, so the console keeps to what openbatch says.
     */
    private static Path emulatorLog(Path dataDir) {
        Path log = dataDir.resolve("logs").resolve("emulators.log");
        try {
            java.nio.file.Files.createDirectories(log.getParent());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        // Read by SLF4J's simple logger when its first logger is made, which is after this.
        System.setProperty("org.slf4j.simpleLogger.logFile", log.toString());
        return log;
    }

    static String help() {
        return "bin/local: openbatch on this machine, served until stopped (Ctrl-C)\n"
                + OPTIONS.stream().map(Option::line).collect(Collectors.joining("\n"))
                + "\n\nWith --config, the file's jobs, chunk_lines, map_concurrency, worker and image settings apply,"
                + "\nAPI keys are on, and a secret_arn comes from OPENBATCH_SECRET_<JOB_ID> (docs/configuration.md).";
    }

    /** Reads a command line into the runtime's options, or the help; a line it cannot run is a {@link UsageException}. */
    static Command parse(String[] args, Map<String, String> env) {
        Set<String> known = OPTIONS.stream().map(Option::name).collect(Collectors.toSet());
        Map<String, String> given = new LinkedHashMap<>();
        Map<String, String> bucketRegions = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (name.equals("--help") || name.equals("-h")) {
                return new Command(null, true);
            }
            if (!known.contains(name)) {
                throw new UsageException("unknown option " + name + " (bin/local --help lists the options)");
            }
            if (name.equals("--allow-http-images") || name.equals("--allow-http-webhooks")) {
                given.put(name, "true");
                continue;
            }
            if (i + 1 >= args.length) {
                throw new UsageException("option " + name + " needs a value: " + name + " "
                        + OPTIONS.stream()
                                .filter(o -> o.name().equals(name))
                                .findFirst()
                                .orElseThrow()
                                .value());
            }
            String value = args[++i];
            if (name.equals("--bucket-region")) {
                String[] pair = value.split("=", 2);
                if (pair.length != 2 || pair[0].isBlank() || pair[1].isBlank()) {
                    throw new UsageException("--bucket-region " + value + ": expected BUCKET=REGION");
                }
                bucketRegions.put(pair[0], pair[1]);
            } else {
                given.put(name, value);
            }
        }

        Path dataDir = Path.of(given.getOrDefault("--data-dir", env.getOrDefault("OPENBATCH_DATA_DIR", ".openbatch")));
        LocalRuntime.Options d = LocalRuntime.Options.defaults(dataDir, 4567);
        int apiPort = given.containsKey("--port")
                ? port(given, "--port", d.apiPort())
                : port("env OPENBATCH_PORT", env.getOrDefault("OPENBATCH_PORT", Integer.toString(d.apiPort())));
        int chunkLines = number(given, "--chunk-lines", d.chunkLines(), 1, CloudLimits.MAX_REQUESTS);
        if (given.containsKey("--chunk-lines")) {
            try {
                CloudLimits.checkPipeline(chunkLines, d.mapConcurrency());
            } catch (IllegalArgumentException e) {
                throw new UsageException("--chunk-lines " + chunkLines + ": " + e.getMessage());
            }
        }
        Path imageTrust = given.containsKey("--image-trust")
                ? Path.of(given.get("--image-trust")).toAbsolutePath()
                : null;
        LocalRuntime.Images images = new LocalRuntime.Images(
                given.containsKey("--image-buckets")
                        ? commaList(given.get("--image-buckets"))
                        : d.images().buckets(),
                bucketRegions,
                Set.copyOf(commaList(given.getOrDefault("--image-hosts", ""))),
                given.containsKey("--allow-http-images"),
                imageTrust);
        LocalRuntime.Options options = d.toBuilder()
                .host(given.getOrDefault("--host", d.host()))
                .apiPort(apiPort)
                .s3Port(port(given, "--s3-port", d.s3Port()))
                .dynamoPort(port(given, "--dynamodb-port", d.dynamoPort()))
                .sqsPort(port(given, "--sqs-port", d.sqsPort()))
                .dataDir(dataDir.toAbsolutePath())
                .region(env.getOrDefault("AWS_REGION", d.region()))
                .endpoint(endpoints(given).stream().findFirst().orElse(null))
                .jobConcurrency(number(given, "--concurrency", d.jobConcurrency(), 1, 100_000))
                .chunkLines(chunkLines)
                .images(images)
                .tenants(commaList(given.getOrDefault("--tenants", "")))
                .build();

        if (endpoints(given).size() > 1) {
            options = options.withEndpoints(endpoints(given));
        }
        if (given.containsKey("--replicas")) {
            if (given.containsKey("--endpoint")) {
                throw new UsageException("--replicas and --endpoint: replicas are of the built-in endpoint; name"
                        + " several endpoints of your own in a --config file's job");
            }
            options = options.withReplicas(number(given, "--replicas", 1, 1, 64));
        }
        if (given.containsKey("--config")) {
            for (String name : given.keySet()) {
                if (SET_BY_THE_FILE.containsKey(name)) {
                    throw new UsageException(
                            name + " and --config: the file sets " + SET_BY_THE_FILE.get(name) + "; change it there");
                }
            }
            DeploymentConfig config;
            try {
                config = DeploymentConfig.read(Path.of(given.get("--config")));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--config " + given.get("--config") + ": "
                        + e.getMessage().lines().collect(Collectors.joining(" ")));
            }
            options = options.with(config, job -> credential(env, job));
        }
        options = options.withWebhooks(new LocalRuntime.Webhooks(
                Set.copyOf(commaList(given.getOrDefault("--webhook-hosts", ""))),
                given.containsKey("--allow-http-webhooks"),
                options.webhooks().retries()));
        if (given.containsKey("--worker-timeout-seconds")) {
            options = options.withWorkerTimeout(Duration.ofSeconds(
                    number(given, "--worker-timeout-seconds", 0, 1, CloudLimits.LAMBDA_TIMEOUT_SECONDS)));
        }
        return new Command(options, false);
    }

    /**
     * The environment variable that holds an endpoint's credential locally, by its key: {@code job-gpu},
     * {@code OPENBATCH_SECRET_JOB_GPU}; endpoint 1 of a pool, {@code job-gpus/1}, {@code OPENBATCH_SECRET_JOB_GPUS_1}.
     */
    static String credentialVariable(String jobId) {
        return "OPENBATCH_SECRET_" + jobId.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    private static String credential(Map<String, String> env, String jobId) {
        String value = env.get(credentialVariable(jobId));
        if (value == null || value.isEmpty()) {
            throw new UsageException((jobId.contains("/") ? "endpoint " : "job ") + jobId
                    + " names its credential by auth.secret_arn, and there is no Secrets"
                    + " Manager here: set " + credentialVariable(jobId) + " to the header's value");
        }
        return value;
    }

    /** The endpoints {@code --endpoint} names, none when it is not given. */
    private static List<URI> endpoints(Map<String, String> given) {
        String value = given.get("--endpoint");
        if (value == null) {
            return List.of();
        }
        List<URI> endpoints = new ArrayList<>();
        for (String each : commaList(value)) {
            try {
                URI uri = URI.create(each);
                if (uri.getScheme() == null || !uri.getScheme().startsWith("http") || uri.getHost() == null) {
                    throw new IllegalArgumentException("not an http URL");
                }
                endpoints.add(uri);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--endpoint " + each + ": expected an http:// or https:// URL");
            }
        }
        return endpoints;
    }

    private static int port(Map<String, String> given, String name, int absent) {
        return given.containsKey(name) ? port(name, given.get(name)) : absent;
    }

    private static int port(String name, String value) {
        try {
            int port = Integer.parseInt(value.trim());
            if (port >= 0 && port <= 65_535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new UsageException(name + " " + value + ": expected a port number, 0 to 65535");
    }

    private static int number(Map<String, String> given, String name, int absent, int min, int max) {
        String value = given.get(name);
        if (value == null) {
            return absent;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new UsageException(name + " " + value + ": expected a whole number from " + min + " to " + max);
    }

    private static List<String> commaList(String value) {
        return Arrays.stream(value.split(","))
                .map(String::trim)
                .filter(v -> !v.isEmpty())
                .toList();
    }
}
