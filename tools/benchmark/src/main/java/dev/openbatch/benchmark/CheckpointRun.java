package dev.openbatch.benchmark;

import com.sun.management.OperatingSystemMXBean;
import dev.openbatch.aws.AwsClients;
import dev.openbatch.aws.S3ChunkStore;
import dev.openbatch.aws.S3FileContentStore;
import dev.openbatch.core.fakes.Responses;
import dev.openbatch.core.fakes.TestApi;
import dev.openbatch.core.fakes.TestImageResolvers;
import dev.openbatch.core.http.ApiResponse;
import dev.openbatch.core.jobs.JobCatalog;
import dev.openbatch.core.pipeline.Chunk;
import dev.openbatch.core.pipeline.ChunkRunner;
import dev.openbatch.core.pipeline.InferenceClient;
import dev.openbatch.core.pipeline.InputValidator;
import dev.openbatch.core.pipeline.RetryPolicy;
import dev.openbatch.core.pipeline.RunChunk;
import dev.openbatch.core.pipeline.ValidateBatch;
import dev.openbatch.reference.Options;
import dev.openbatch.reference.ReferenceEndpoint;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Locale;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Benchmark part 6, in a JVM of its own: what the worker's checkpoints cost. The same text chunks
 * run twice through {@link RunChunk} against the local S3 and an endpoint in this JVM — once with
 * the log written only when the chunk ends (one segment, as little as the part itself needs), once
 * checkpointing every 5 ms (tens of segments a chunk, so that their cost stands well above the
 * run-to-run noise of the rest) — alternately, four rounds each after a
 * warm-up, and the CPU of this process is compared: the difference, over the segments written
 * beyond one a chunk, is what a checkpoint costs. Prints
 * {@code msPerCheckpoint segmentsPerChunk msPerRequestWithoutCheckpoints}.
 *
 * <p>The lines here end much faster than on a GPU, so the deployed cadence (a checkpoint every
 * {@link RunChunk#CHECKPOINT_EVERY}) would write none; the caller turns the cost of one into a
 * cost per request at the pace it measured.
 *
 * <p>Arguments: the local S3 endpoint, the bucket.
 */
public final class CheckpointRun {

    /** As the Validate step spreads 10,000 lines over the Map's 10. */
    private static final int CHUNKS = 10;

    private static final int CHUNK_LINES = 1_000;
    private static final Duration EVERY = Duration.ofMillis(5);
    private static final int ROUNDS = 4;

    private CheckpointRun() {}

    public static void main(String[] args) throws Exception {
        AwsClients clients = LocalS3.clients(args[0], args[1]);
        S3Client s3 = clients.s3();
        S3ChunkStore store = new S3ChunkStore(s3, args[1], new S3FileContentStore(s3, clients.s3Presigner(), args[1]));
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(
                Options.builder().latency(Duration.ofMillis(20)).build())) {
            String jobs = "{\"default_job\":\"job-bench\",\"jobs\":[{\"id\":\"job-bench\",\"base_url\":\""
                    + endpoint.baseUrl() + "\",\"concurrency\":128,\"tenants\":[\"" + TestApi.TENANT + "\"]}]}";
            TestApi api = new TestApi(jobs);
            JobCatalog catalog = JobCatalog.fromJson(jobs);
            StringBuilder file = new StringBuilder();
            for (int i = 0; i < CHUNKS * CHUNK_LINES; i++) {
                file.append("{\"custom_id\":\"r")
                        .append(i)
                        .append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\","
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"request ")
                        .append(i)
                        .append("\"}]}}\n");
            }
            String fileId = id(api.upload("in.jsonl", "batch", file.toString()));
            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long[] cpu = new long[2];
            long[] segments = new long[2];
            // A warm-up round of each first, so that both measured variants run compiled code.
            for (int round = 0; round <= ROUNDS; round++) {
                for (int variant = 0; variant < 2; variant++) {
                    Duration every = variant == 0 ? Duration.ofDays(1) : EVERY;
                    String batchId = id(api.sendJson(
                            "POST",
                            "/v1/batches",
                            "{\"input_file_id\":\"" + fileId
                                    + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"));
                    ValidateBatch.Outcome outcome = new ValidateBatch(
                                    api.batchRecords,
                                    api.content,
                                    new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(CHUNK_LINES), store),
                                    10,
                                    api.clock)
                            .run(TestApi.TENANT, batchId);
                    RunChunk runChunk = new RunChunk(
                            api.batchRecords,
                            store,
                            catalog,
                            new ChunkRunner(
                                    new InferenceClient(Duration.ofSeconds(5), Duration.ofSeconds(30)),
                                    TestImageResolvers.none(),
                                    RetryPolicy.DEFAULT,
                                    api.clock),
                            api.clock,
                            every);
                    long before = os.getProcessCpuTime();
                    for (Chunk chunk : outcome.chunks()) {
                        runChunk.run(TestApi.TENANT, batchId, chunk);
                    }
                    long used = os.getProcessCpuTime() - before;
                    if (round > 0) {
                        cpu[variant] += used;
                        for (Chunk chunk : outcome.chunks()) {
                            segments[variant] += s3.listObjectsV2(b -> b.bucket(args[1])
                                            .prefix("batches/" + batchId + "/parts/"
                                                    + String.format(Locale.ROOT, "%05d", chunk.index())
                                                    + "/log/"))
                                    .keyCount();
                        }
                    }
                }
            }
            double requests = (double) ROUNDS * CHUNKS * CHUNK_LINES;
            System.out.printf(
                    Locale.ROOT,
                    "%.3f %.1f %.4f%n",
                    (cpu[1] - cpu[0]) / 1e6 / Math.max(1, segments[1] - segments[0]),
                    segments[1] / ((double) ROUNDS * CHUNKS),
                    cpu[0] / 1e6 / requests);
        }
    }

    private static String id(ApiResponse response) {
        return Responses.json(response).get("id").asText();
    }
}
