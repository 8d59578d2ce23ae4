package dev.openbatch.local;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bin/local}: starts openbatch on this machine and serves it until stopped.
 *
 * <pre>
 * --port N           the API (default 8080, env OPENBATCH_PORT)
 * --s3-port N        the local S3 endpoint (default 4566)
 * --dynamodb-port N  DynamoDB Local (default 4567)
 * --sqs-port N       ElasticMQ (default 9324)
 * --data-dir DIR     where data survives restarts (default .openbatch)
 * --host HOST        the interface to listen on (default 127.0.0.1)
 * --endpoint URL     the inference endpoint of the default job, job-local (default http://127.0.0.1:8000/v1)
 * </pre>
 */
public final class Main {

    private Main() {}

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        String host = "127.0.0.1";
        int apiPort = Integer.parseInt(env.getOrDefault("OPENBATCH_PORT", "8080"));
        int s3Port = 4566;
        int dynamoPort = 4567;
        int sqsPort = 9324;
        Path dataDir = Path.of(env.getOrDefault("OPENBATCH_DATA_DIR", ".openbatch"));
        String endpoint = "http://127.0.0.1:8000/v1";
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> apiPort = Integer.parseInt(value);
                case "--s3-port" -> s3Port = Integer.parseInt(value);
                case "--dynamodb-port" -> dynamoPort = Integer.parseInt(value);
                case "--sqs-port" -> sqsPort = Integer.parseInt(value);
                case "--data-dir" -> dataDir = Path.of(value);
                case "--host" -> host = value;
                case "--endpoint" -> endpoint = value;
                default -> {
                    System.err.println("unknown option " + args[i] + "; see the README for the options");
                    System.exit(2);
                }
            }
            i++;
        }
        String jobs = env.getOrDefault("OPENBATCH_JOBS", "{\"default_job\":\"job-local\",\"jobs\":[{\"id\":\"job-local\","
                + "\"base_url\":\"" + endpoint + "\",\"concurrency\":64}]}");

        LocalRuntime runtime = LocalRuntime.start(new LocalRuntime.Options(host, apiPort, s3Port, dynamoPort, sqsPort,
                dataDir.toAbsolutePath(), env.getOrDefault("AWS_REGION", "us-east-1"), jobs));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            runtime.close();
            stopped.countDown();
        }));
        System.out.println("openbatch local runtime is up");
        System.out.println("  API base URL:   " + runtime.apiBase());
        System.out.println("  S3 endpoint:    " + runtime.s3Endpoint() + " (path-style, any credentials accepted)");
        System.out.println("  DynamoDB:       " + runtime.dynamoEndpoint());
        System.out.println("  SQS:            " + runtime.sqsEndpoint());
        System.out.println("  data directory: " + runtime.dataDir());
        System.out.flush();
        stopped.await();
    }
}
