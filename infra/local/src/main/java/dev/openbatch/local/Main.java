package dev.openbatch.local;

import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bin/local}: starts openbatch on this machine and serves it until stopped.
 *
 * <pre>
 * --port N           the API (default 8080, env OPENBATCH_PORT)
 * --s3-port N        the local S3 endpoint (default 4566)
 * --dynamodb-port N  DynamoDB Local (default 4567)
 * --sqs-port N       ElasticMQ (default 9324)
 * --data-dir DIR     where data survives restarts (default .openbatch, env OPENBATCH_DATA_DIR)
 * --host HOST        the interface to listen on (default 127.0.0.1)
 * --endpoint URL     the default job's inference endpoint, e.g. a vLLM server's http://127.0.0.1:8000/v1
 *                    (default: the built-in reference endpoint)
 * --concurrency N    the default job's requests in flight, all chunks together (default 64)
 * --chunk-lines N    request lines per chunk (default 500)
 * --image-buckets B  buckets s3:// image URLs may name, comma-separated (default openbatch-images);
 *                    created in the local S3 when missing
 * --bucket-region B=R  bucket B stands in for a bucket in region R (repeatable)
 * --image-hosts H    https image hosts not checked to be public, comma-separated (internal servers)
 * --image-trust PEM  certificates trusted for https images besides the JVM's
 * --allow-http-images  fetch plain http:// images too (local testing; takes no value)
 * --tenants T        require API keys (table openbatch-keys), for these tenants, comma-separated, who
 *                    may all use job-local; without it every request acts for the tenant "default"
 * </pre>
 */
public final class Main {

    private Main() {}

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        Path dataDir = Path.of(env.getOrDefault("OPENBATCH_DATA_DIR", ".openbatch"));
        LocalRuntime.Options o = LocalRuntime.Options.defaults(dataDir, 4567);
        int apiPort = Integer.parseInt(env.getOrDefault("OPENBATCH_PORT", "8080"));
        String host = o.host();
        int s3Port = o.s3Port();
        int dynamoPort = o.dynamoPort();
        int sqsPort = o.sqsPort();
        URI endpoint = null;
        int concurrency = o.jobConcurrency();
        int chunkLines = o.chunkLines();
        List<String> imageBuckets = o.images().buckets();
        Map<String, String> bucketRegions = new HashMap<>();
        Set<String> imageHosts = Set.of();
        Path imageTrust = null;
        boolean allowHttp = false;
        List<String> tenants = List.of();
        for (int i = 0; i < args.length; i += 2) {
            if (args[i].equals("--allow-http-images")) {
                allowHttp = true;
                i--;
                continue;
            }
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (value == null) {
                usage("option " + args[i] + " needs a value");
            }
            switch (args[i]) {
                case "--port" -> apiPort = Integer.parseInt(value);
                case "--s3-port" -> s3Port = Integer.parseInt(value);
                case "--dynamodb-port" -> dynamoPort = Integer.parseInt(value);
                case "--sqs-port" -> sqsPort = Integer.parseInt(value);
                case "--data-dir" -> dataDir = Path.of(value);
                case "--host" -> host = value;
                case "--endpoint" -> endpoint = URI.create(value);
                case "--concurrency" -> concurrency = Integer.parseInt(value);
                case "--chunk-lines" -> chunkLines = Integer.parseInt(value);
                case "--image-buckets" -> imageBuckets = commaList(value);
                case "--bucket-region" -> {
                    String[] pair = value.split("=", 2);
                    if (pair.length != 2) {
                        usage("--bucket-region takes BUCKET=REGION");
                    }
                    bucketRegions.put(pair[0], pair[1]);
                }
                case "--image-hosts" -> imageHosts = Set.copyOf(commaList(value));
                case "--tenants" -> tenants = commaList(value);
                case "--image-trust" -> imageTrust = Path.of(value).toAbsolutePath();
                default -> usage("unknown option " + args[i]);
            }
        }
        Path log = emulatorLog(dataDir.toAbsolutePath());
        LocalRuntime runtime;
        try {
            runtime = LocalRuntime.start(new LocalRuntime.Options(host, apiPort, s3Port, dynamoPort, sqsPort,
                    dataDir.toAbsolutePath(), env.getOrDefault("AWS_REGION", o.region()), endpoint, o.reference(),
                    concurrency, chunkLines, o.mapConcurrency(), o.workers(), o.window24h(), o.deliveries(),
                    new LocalRuntime.Images(imageBuckets, bucketRegions, imageHosts, allowHttp, imageTrust), tenants));
        } catch (PortInUseException e) {
            System.err.println(e.getMessage());
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
        System.out.println("  S3 endpoint:        " + runtime.s3Endpoint() + " (path-style, any credentials accepted)");
        System.out.println("  S3 drops:           s3://" + runtime.ingestBucket() + "/incoming/<job_id>/<name>.jsonl"
                + " -> s3://" + runtime.ingestBucket() + "/results/<job_id>/<name>/");
        System.out.println("  DynamoDB:           " + runtime.dynamoEndpoint());
        System.out.println("  SQS:                " + runtime.sqsEndpoint());
        System.out.println("  inference endpoint: " + runtime.inferenceEndpoint()
                + (endpoint == null ? " (built-in reference endpoint, job-local)" : " (job-local)"));
        System.out.println("  image buckets:      " + String.join(", ", imageBuckets)
                + (bucketRegions.isEmpty() ? "" : " (regions " + bucketRegions + ")"));
        System.out.println("  API keys:           " + (tenants.isEmpty()
                ? "off: every request acts for the tenant \"default\" (--tenants turns keys on)"
                : "required, from the DynamoDB table " + LocalRuntime.KEYS_TABLE + ", for tenants "
                + String.join(", ", tenants)));
        System.out.println("  data directory:     " + runtime.dataDir());
        System.out.println("  emulators' log:     " + log);
        if (runtime.resumedExecutions() > 0) {
            int resumed = runtime.resumedExecutions();
            System.out.println("  resumed:            " + resumed + (resumed == 1 ? " batch that was" : " batches that were")
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

    private static List<String> commaList(String value) {
        return Arrays.stream(value.split(",")).map(String::trim).filter(v -> !v.isEmpty()).toList();
    }

    private static void usage(String problem) {
        System.err.println(problem + "; see the README for the options");
        System.exit(2);
    }
}
