package dev.openbatch.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.pipeline.RunChunk;
import dev.openbatch.deployment.DeploymentConfig;
import dev.openbatch.local.Main;
import dev.openbatch.reference.ReferenceEndpointMain;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import javax.imageio.ImageIO;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code bin/benchmark}: openbatch's own overhead beside the GPU, measured in one run and printed as
 * one table. The reference endpoint (500 ms a request, at most 128 at once) and the local runtime
 * each run in a process of their own, so each one's CPU is its own; this process drives both and
 * also plays the baseline — a client sending the same requests straight to the endpoint with 128 in
 * flight, as vLLM's {@code run_batch} does. Last, a second runtime drives two such endpoints as one
 * job, a pool, to show what a second replica adds.
 *
 * <p>Options: {@code --requests N} (10000), {@code --latency-ms N} (500), {@code --concurrency N} (128).
 */
public final class Benchmark {

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();
    /**
     * Threads of the runtime that are not openbatch's: the emulators' (ElasticMQ, S3Proxy's and DynamoDB
     * Local's Jetty, SQLite) and the JVM's own (JIT compilers, GC). Everything else is openbatch's.
     */
    private static final List<String> NOT_OPENBATCH = List.of(
            "elasticmq",
            "S#Proxy",
            "qtp",
            "SQLiteQueue",
            "C# CompilerThre",
            "C#",
            "VM Thread",
            "GC",
            "G#",
            "Service Thread",
            "Signal",
            "Finalizer",
            "Reference Handl",
            "Common-Cleaner");
    /** Linux's USER_HZ, the unit of /proc's CPU times. */
    private static final int TICKS_PER_SECOND = 100;

    private static final Set<String> ENDED = Set.of("completed", "failed", "expired", "cancelled");
    /** The deployment's defaults, which the runtime measured here runs with. */
    static final DeploymentConfig DEPLOYED = DeploymentConfig.parse("{\"jobs\": {\"jobs\": []}}");

    private static final int IMAGES = 100;
    /** The untimed batch before each runtime of two replicas is measured. */
    private static final int WARM_UP_REQUESTS = 2_000;

    private static final int IMAGE_SIDE = 256; // 256 x 256 RGB noise: about 200 KB as PNG

    private final int requests;
    private final int latencyMs;
    private final int concurrency;
    private final Path work;
    private final List<Process> processes = new ArrayList<>();
    private final Map<Process, Path> logs = new HashMap<>();

    private Benchmark(int requests, int latencyMs, int concurrency, Path work) {
        this.requests = requests;
        this.latencyMs = latencyMs;
        this.concurrency = concurrency;
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options =
                new HashMap<>(Map.of("--requests", "10000", "--latency-ms", "500", "--concurrency", "128"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!options.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i]);
            }
            options.put(args[i], args[i + 1]);
        }
        Benchmark benchmark = new Benchmark(
                Integer.parseInt(options.get("--requests")),
                Integer.parseInt(options.get("--latency-ms")),
                Integer.parseInt(options.get("--concurrency")),
                Files.createTempDirectory("openbatch-benchmark"));
        try {
            benchmark.run();
        } finally {
            for (Process process : benchmark.processes) {
                process.destroyForcibly().waitFor();
            }
            try (var paths = Files.walk(benchmark.work)) {
                paths.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * @param cpuMsPerRequest the runtime process's CPU per request: openbatch, the emulators and the JVM's own threads
     * @param ownMsPerRequest the CPU of openbatch's own threads only: the functions, the API gateway, the
     *                        Step Functions executor and the event source — what would run in Lambda
     */
    private record Throughput(
            double directPerSecond, double openbatchPerSecond, double cpuMsPerRequest, double ownMsPerRequest) {
        double ratio() {
            return openbatchPerSecond / directPerSecond;
        }
    }

    /** A reference endpoint in a process of its own: {@code latencyMs} a request, at most {@code concurrency} at once. */
    private URI referenceEndpoint() throws IOException {
        return referenceEndpoint(concurrency);
    }

    /** A reference endpoint in a process of its own, of {@code cap} requests at once. */
    private URI referenceEndpoint(int cap) throws IOException {
        return URI.create(firstLine(java(
                List.of(),
                ReferenceEndpointMain.class,
                "--latency-ms",
                Integer.toString(latencyMs),
                "--max-concurrency",
                Integer.toString(cap))));
    }

    /** A local runtime in a process of its own, its job-local on {@code endpoints}, each of {@code concurrency}. */
    private Process runtime(List<String> jvmOptions, int apiPort, int s3Port, String dataDir, List<URI> endpoints)
            throws IOException, InterruptedException {
        return runtime(jvmOptions, apiPort, s3Port, dataDir, endpoints, concurrency);
    }

    private Process runtime(
            List<String> jvmOptions, int apiPort, int s3Port, String dataDir, List<URI> endpoints, int concurrency)
            throws IOException, InterruptedException {
        Process runtime = java(
                jvmOptions,
                Main.class,
                "--port",
                Integer.toString(apiPort),
                "--s3-port",
                Integer.toString(s3Port),
                "--dynamodb-port",
                Integer.toString(freePort()),
                "--sqs-port",
                Integer.toString(freePort()),
                "--data-dir",
                work.resolve(dataDir).toString(),
                "--endpoint",
                String.join(",", endpoints.stream().map(URI::toString).toList()),
                "--concurrency",
                Integer.toString(concurrency));
        awaitHealthy(URI.create("http://127.0.0.1:" + apiPort + "/health"), runtime);
        return runtime;
    }

    private void run() throws Exception {
        URI endpoint = referenceEndpoint();
        int apiPort = freePort();
        int s3Port = freePort();
        Path counts = work.resolve("operations.txt");
        Process runtime = runtime(
                List.of("-Dopenbatch.count.file=" + counts, "-cp", countingClassPath()),
                apiPort,
                s3Port,
                "data",
                List.of(endpoint));
        URI api = URI.create("http://127.0.0.1:" + apiPort + "/v1");
        say("reference endpoint %s, local runtime %s (pid %d)", endpoint, api, runtime.pid());

        // 1. text
        IntFunction<String> text =
                i -> "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"request " + i + "\"}]}";
        // A service that has run before: one untimed batch of the same size first, so that the runtime's JIT
        // and its emulators are not still warming up while the measured batch runs (after 2,000 lines, its
        // compiler threads still took 19 s of CPU during the measured 42 s, on a machine of two cores).
        JsonNode warmUp = runToEnd(api, uploadBatchFile(api, requests, text));
        say("warm-up batch: %s", warmUp.get("status").asText());
        Map<String, Long> before = readCounts(counts);
        Throughput plain = measure(endpoint, api, runtime, text, text);
        Thread.sleep(1500);
        Map<String, Long> textOperations = difference(readCounts(counts), before);

        // 2. images: one 200 KB s3:// image per request, 100 distinct; the baseline sends the same bytes inline
        List<byte[]> images = new ArrayList<>();
        try (S3Client s3 = S3Client.builder()
                .endpointOverride(URI.create("http://127.0.0.1:" + s3Port))
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .build()) {
            for (int i = 0; i < IMAGES; i++) {
                byte[] png = noisePng(i);
                images.add(png);
                int n = i;
                s3.putObject(
                        b -> b.bucket("openbatch-images").key("benchmark/" + n + ".png"), RequestBody.fromBytes(png));
            }
        }
        List<String> dataUris = images.stream()
                .map(b -> "data:image/png;base64," + Base64.getEncoder().encodeToString(b))
                .toList();
        Throughput withImages = measure(
                endpoint,
                api,
                runtime,
                i -> vision(i, "s3://openbatch-images/benchmark/" + (i % IMAGES) + ".png"),
                i -> vision(i, dataUris.get(i % IMAGES)));

        // 3. validation and chunking of 200 MB / 50,000 lines, in a JVM with a 256 MB heap
        String[] validation = firstLine(
                        java(List.of("-Xmx256m"), ValidationRun.class, "http://127.0.0.1:" + s3Port, "openbatch-data"))
                .split(" ");
        double validationSeconds = Double.parseDouble(validation[0]);
        long peakHeap = Long.parseLong(validation[1]);

        // 6. what the worker's checkpoints cost, the same chunks with and without them. Its PutObjects to the
        // local S3 now and then fail to be written ("Error writing request body to server", every attempt of
        // one call), cause not found: a failed run is said and tried once more, and the row says if both fail.
        String[] checkpoints = {"NaN", "NaN"};
        for (int attempt = 1; attempt <= 2 && checkpoints[0].equals("NaN"); attempt++) {
            try {
                checkpoints = firstLine(
                                java(List.of(), CheckpointRun.class, "http://127.0.0.1:" + s3Port, "openbatch-data"))
                        .split(" ");
            } catch (IllegalStateException e) {
                say(
                        "checkpoint run %d failed: %s",
                        attempt, e.getMessage().lines().findFirst().orElse(""));
            }
        }

        // 7. what a second replica adds where the GPUs are the bound: replicas of a quarter of the cap each
        // (at the full cap, two replicas would ask more CPU of this runtime than a small machine has), the same
        // text batch through a runtime on one of them and through one on a pool of both
        runtime.destroy();
        runtime.waitFor();
        int replicaCap = Math.max(1, concurrency / 4);
        URI first = referenceEndpoint(replicaCap);
        URI second = referenceEndpoint(replicaCap);
        int poolLines = Math.max(1, requests * 2 / 5);
        double oneReplica = throughReplicas(List.of(first), replicaCap, "one-replica", poolLines, text);
        double twoReplicas = throughReplicas(List.of(first, second), replicaCap, "two-replicas", poolLines, text);

        // 5. cost of orchestration for 50,000 lines at 2 s a request
        CostModel.Estimate cost = CostModel.estimate(
                textOperations,
                requests,
                requests / plain.openbatchPerSecond(),
                50_000,
                2.0,
                concurrency,
                DEPLOYED.mapConcurrency(),
                validationSeconds);

        int average = images.stream().mapToInt(b -> b.length).sum() / IMAGES;
        System.out.println();
        System.out.printf(
                "openbatch benchmark: %d requests, endpoint latency %d ms, cap %d in flight (ideal %.0f requests/s)%n",
                requests, latencyMs, concurrency, concurrency * 1000.0 / latencyMs);
        System.out.println("| measure | direct | openbatch | openbatch/direct | target |");
        System.out.println("| --- | --- | --- | --- | --- |");
        row(
                "1. chat requests/s, create → completed",
                plain.directPerSecond(),
                plain.openbatchPerSecond(),
                plain.ratio(),
                ">= 0.95");
        row(
                "2. with one " + average / 1000 + " KB s3:// image each (" + IMAGES + " distinct), requests/s",
                withImages.directPerSecond(),
                withImages.openbatchPerSecond(),
                withImages.ratio(),
                ">= 0.85");
        System.out.printf(
                Locale.ROOT,
                "| 3. validate + chunk 200 MB / 50,000 lines (heap -Xmx256m) | | %.1f s, peak heap %d MB%s | | <= 15 s |%n",
                validationSeconds,
                peakHeap >> 20,
                validation[2].equals("true") ? "" : " (NOT VALID)");
        System.out.printf(
                Locale.ROOT,
                "| 4. CPU per request, openbatch's threads (text; with images) | | %.2f ms; %.2f ms | | <= 2 ms |%n",
                plain.ownMsPerRequest(),
                withImages.ownMsPerRequest());
        System.out.printf(
                Locale.ROOT,
                "| 4'. CPU per request, the whole local process: + emulators, JIT, GC | | %.2f ms; %.2f ms | | |%n",
                plain.cpuMsPerRequest(),
                withImages.cpuMsPerRequest());
        System.out.printf(
                Locale.ROOT,
                "| 5. cloud cost of orchestration, 50,000 lines at 2 s | | $%.4f | | <= $0.10 |%n",
                cost.total());
        // The text batch is spread over the Map's concurrency, its chunks side by side: at the run's pace a
        // chunk lasts (its lines) / (its share of the throughput), and a checkpoint is written each
        // CHECKPOINT_EVERY of it, beyond the one segment the chunk's end writes anyway.
        int chunks = Math.max(1, Math.min(DEPLOYED.mapConcurrency(), requests / DEPLOYED.chunkLines()));
        int chunkLines = (requests + chunks - 1) / chunks;
        double chunkSeconds = chunkLines / (plain.openbatchPerSecond() / chunks);
        long extraSegments = (long) (chunkSeconds / RunChunk.CHECKPOINT_EVERY.toSeconds());
        double perCheckpoint = Double.parseDouble(checkpoints[0]);
        System.out.printf(
                Locale.ROOT,
                "| 6. CPU of the worker's checkpoints per request (%.3f ms each, measured at %s segments a chunk;"
                        + " text chunks of %d last %.0f s: %d each) | | %.4f ms | | <= 0.1 ms |%n",
                perCheckpoint,
                checkpoints[1],
                chunkLines,
                chunkSeconds,
                extraSegments,
                perCheckpoint * extraSegments / chunkLines);
        row(
                "7. chat requests/s, job-local a pool of two endpoints of " + replicaCap + " (direct: one of them), "
                        + poolLines + " lines",
                oneReplica,
                twoReplicas,
                twoReplicas / oneReplica,
                ">= 1.80");
        System.out.println();
        System.out.println(cost.itemised());
    }

    private static void row(String measure, double direct, double openbatch, double ratio, String target) {
        System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.3f | %s |%n", measure, direct, openbatch, ratio, target);
    }

    private static String vision(int i, String url) {
        return "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"request "
                + i + "\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}}]}]}";
    }

    /** The same requests, straight to the endpoint and then through openbatch. */
    private Throughput measure(
            URI endpoint, URI api, Process runtime, IntFunction<String> batchBody, IntFunction<String> directBody)
            throws Exception {
        double direct;
        try {
            direct = direct(endpoint, directBody);
            say("direct: %.1f requests/s", direct);
        } catch (IllegalStateException e) {
            // Said, not hidden: the row shows no baseline, and the rest of the table is still measured.
            say("direct: failed: %s", e.getMessage());
            direct = Double.NaN;
        }
        Run run = openbatch(api, runtime, batchBody);
        return new Throughput(direct, run.perSecond(), run.cpuMsPerRequest(), run.ownMsPerRequest());
    }

    /** One batch through openbatch: its requests per second, and the runtime's CPU per request (see {@link Throughput}). */
    private record Run(double perSecond, double cpuMsPerRequest, double ownMsPerRequest) {}

    /** Requests/s of {@code lines} lines through a runtime of its own whose job-local is a pool of the endpoints. */
    private double throughReplicas(
            List<URI> endpoints, int replicaCap, String dataDir, int lines, IntFunction<String> body) throws Exception {
        int port = freePort();
        Process runtime = runtime(List.of(), port, freePort(), dataDir, endpoints, replicaCap);
        try {
            URI api = URI.create("http://127.0.0.1:" + port + "/v1");
            say(
                    "%s warm-up batch: %s",
                    dataDir,
                    runToEnd(api, uploadBatchFile(api, WARM_UP_REQUESTS / 4, body))
                            .get("status")
                            .asText());
            return openbatch(api, runtime, body, lines).perSecond();
        } finally {
            runtime.destroy();
            runtime.waitFor();
        }
    }

    /** The requests as one batch through the runtime at {@code api}, from create to completed. */
    private Run openbatch(URI api, Process runtime, IntFunction<String> batchBody) throws Exception {
        return openbatch(api, runtime, batchBody, requests);
    }

    private Run openbatch(URI api, Process runtime, IntFunction<String> batchBody, int requests) throws Exception {
        String fileId = uploadBatchFile(api, requests, batchBody);
        long cpuBefore = cpuNanos(runtime);
        Map<String, Long> threadsBefore = threadTicks(runtime);
        long start = System.nanoTime();
        JsonNode batch = runToEnd(api, fileId);
        double seconds = (System.nanoTime() - start) / 1e9;
        long cpu = cpuNanos(runtime) - cpuBefore;
        Map<String, Long> threads = difference(threadTicks(runtime), threadsBefore);
        threads.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(8)
                .forEach(e -> say("  %-16s %5d ticks", e.getKey(), e.getValue()));
        long ownTicks = threads.entrySet().stream()
                .filter(e -> NOT_OPENBATCH.stream().noneMatch(e.getKey()::startsWith))
                .mapToLong(Map.Entry::getValue)
                .sum();
        JsonNode counts = batch.get("request_counts");
        if (!batch.get("status").asText().equals("completed")
                || counts.get("completed").asInt() != requests) {
            throw new IllegalStateException("the batch ended " + batch.get("status") + " with " + counts);
        }
        say("openbatch: %.1f requests/s", requests / seconds);
        return new Run(requests / seconds, cpu / 1e6 / requests, ownTicks * 1000.0 / TICKS_PER_SECOND / requests);
    }

    /**
     * What the endpoint does with no openbatch in between: {@code concurrency} requests in flight, always.
     * A request the endpoint did not answer with 200 fails the run, as would a client's error: a
     * baseline that drops requests would be fast for the wrong reason.
     */
    private double direct(URI endpoint, IntFunction<String> body) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        URI target = URI.create(endpoint + "/chat/completions");
        long start = System.nanoTime();
        // The first client that fails stops the others: a baseline short of clients would crawl on to its end.
        AtomicReference<Exception> failure = new AtomicReference<>();
        // A client of its own: connections pooled by an earlier run may have been closed by the endpoint
        // while idle, and a POST on one fails rather than being sent again.
        try (HttpClient http = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .executor(Executors.newVirtualThreadPerTaskExecutor())
                        .build();
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < concurrency; t++) {
                threads.execute(() -> {
                    int i = -1;
                    try {
                        while (failure.get() == null && (i = next.getAndIncrement()) < requests) {
                            HttpRequest request = HttpRequest.newBuilder(target)
                                    .timeout(Duration.ofMinutes(2))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body.apply(i)))
                                    .build();
                            int status;
                            // Bounded by a deadline of its own: a request the endpoint never answers fails the run.
                            while ((status = http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                                            .get(2, TimeUnit.MINUTES)
                                            .statusCode())
                                    == 429) {
                                Thread.onSpinWait();
                            }
                            if (status != 200) {
                                throw new IllegalStateException("the endpoint answered with " + status);
                            }
                        }
                    } catch (Exception e) {
                        if (failure.compareAndSet(null, new IllegalStateException("request " + i + ": " + e, e))) {
                            say("direct: request %d failed, stopping the run: %s", i, e);
                        }
                    }
                });
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (failure.get() != null) {
            throw new IllegalStateException(
                    "the direct run failed at " + failure.get().getMessage(), failure.get());
        }
        return requests / seconds;
    }

    /** A batch input file of {@code lines} requests with the given bodies, uploaded: its id. */
    private static String uploadBatchFile(URI api, int lines, IntFunction<String> body)
            throws IOException, InterruptedException {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            jsonl.append("{\"custom_id\":\"r")
                    .append(i)
                    .append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",")
                    .append("\"body\":")
                    .append(body.apply(i))
                    .append("}\n");
        }
        return upload(api, jsonl.toString());
    }

    /** Creates a batch of the file and polls it until it has ended: the batch as it ended. */
    private static JsonNode runToEnd(URI api, String fileId) throws IOException, InterruptedException {
        JsonNode batch = send(HttpRequest.newBuilder(api.resolve("v1/batches"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"input_file_id\":\"" + fileId
                        + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}")));
        String id = batch.get("id").asText();
        while (!ENDED.contains(batch.get("status").asText())) {
            Thread.sleep(100);
            batch = send(HttpRequest.newBuilder(api.resolve("v1/batches/" + id)).GET());
        }
        return batch;
    }

    private static String upload(URI api, String jsonl) throws IOException, InterruptedException {
        String boundary = "openbatch-benchmark";
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                + "--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"benchmark.jsonl\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n" + jsonl + "\r\n--" + boundary + "--\r\n";
        return send(HttpRequest.newBuilder(api.resolve("v1/files"))
                        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                        .POST(HttpRequest.BodyPublishers.ofString(body)))
                .get("id")
                .asText();
    }

    private static JsonNode send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(request.build().uri() + " answered " + response.statusCode() + ": "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
        return Json.MAPPER.readTree(response.body());
    }

    /** The runtime's class path with the operation counter registered as an SDK global interceptor. */
    private String countingClassPath() throws IOException {
        Path interceptors = work.resolve("interceptors");
        Path file = interceptors.resolve("software/amazon/awssdk/global/handlers/execution.interceptors");
        Files.createDirectories(file.getParent());
        Files.writeString(file, OperationCounter.class.getName() + "\n");
        return interceptors + java.io.File.pathSeparator + System.getProperty("java.class.path");
    }

    private Process java(List<String> jvmOptions, Class<?> main, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-Dsqlite4java.library.path=" + System.getProperty("sqlite4java.library.path")));
        command.addAll(jvmOptions);
        if (!jvmOptions.contains("-cp")) {
            command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        }
        command.add(main.getName());
        command.addAll(List.of(args));
        Path log = work.resolve(main.getSimpleName() + "-" + processes.size() + ".log");
        Process process =
                new ProcessBuilder(command).redirectError(log.toFile()).start();
        processes.add(process);
        logs.put(process, log);
        return process;
    }

    private String firstLine(Process process) throws IOException {
        BufferedReader reader =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = reader.readLine();
        if (line == null) {
            // Said here: the work directory, and the log in it, are gone once the benchmark ends.
            List<String> log = Files.readAllLines(logs.get(process));
            throw new IllegalStateException(process.info().command().orElse("a process")
                    + " printed nothing; the end of what it logged:\n"
                    + String.join("\n", log.subList(Math.max(0, log.size() - 30), log.size())));
        }
        return line.trim();
    }

    private static void awaitHealthy(URI health, Process runtime) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            if (!runtime.isAlive()) {
                throw new IllegalStateException("the local runtime exited with " + runtime.exitValue());
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the local runtime did not become healthy");
    }

    /** CPU ticks of each of the process's threads, by thread name (Linux's /proc; names cut at 15 characters). */
    static Map<String, Long> threadTicks(Process process) {
        Map<String, Long> ticks = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(process.pid()), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm")).trim().replaceAll("[0-9]+", "#");
                    String stat = Files.readString(task.resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.merge(name, Long.parseLong(fields[11]) + Long.parseLong(fields[12]), Long::sum);
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return ticks;
    }

    private static long cpuNanos(Process process) {
        return process.toHandle()
                .info()
                .totalCpuDuration()
                .orElseThrow(() -> new IllegalStateException("this platform does not report a process's CPU time"))
                .toNanos();
    }

    private static Map<String, Long> readCounts(Path file) throws IOException {
        Map<String, Long> counts = new HashMap<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                int space = line.lastIndexOf(' ');
                counts.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
            }
        }
        return counts;
    }

    private static Map<String, Long> difference(Map<String, Long> after, Map<String, Long> before) {
        Map<String, Long> delta = new HashMap<>();
        after.forEach((operation, count) -> delta.put(operation, count - before.getOrDefault(operation, 0L)));
        return delta;
    }

    /** Random pixels, which PNG cannot compress: about 200 KB each, and each different. */
    private static byte[] noisePng(int seed) {
        SplittableRandom random = new SplittableRandom(seed);
        BufferedImage image = new BufferedImage(IMAGE_SIDE, IMAGE_SIDE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < IMAGE_SIDE; y++) {
            for (int x = 0; x < IMAGE_SIDE; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void say(String format, Object... args) {
        System.err.printf(Locale.ROOT, format + "%n", args);
    }
}
