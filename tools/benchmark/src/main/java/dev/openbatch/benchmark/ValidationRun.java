package dev.openbatch.benchmark;

import dev.openbatch.aws.AwsClients;
import dev.openbatch.aws.S3ChunkStore;
import dev.openbatch.aws.S3FileContentStore;
import dev.openbatch.core.fakes.LargestInput;
import dev.openbatch.core.pipeline.InputValidator;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Benchmark part 3, in a JVM of its own started with the heap the validator Lambda would have:
 * writes a 200 MB / 50,000-line input to the local S3, then validates and chunks it from S3 to S3
 * exactly as the Validate step does, and prints {@code seconds peakHeapBytes valid}.
 *
 * <p>Arguments: the local S3 endpoint, the bucket.
 */
public final class ValidationRun {

    private ValidationRun() {}

    public static void main(String[] args) throws IOException {
        AwsClients clients = LocalS3.clients(args[0], args[1]);
        S3Client s3 = clients.s3();
        Path input = Files.createTempFile("validation", ".jsonl");
        try {
            LargestInput.write(input);
            s3.putObject(b -> b.bucket(args[1]).key("benchmark/input.jsonl"), RequestBody.fromFile(input));
        } finally {
            Files.delete(input);
        }
        System.gc();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);

        long start = System.nanoTime();
        InputValidator.Result result;
        S3FileContentStore content = new S3FileContentStore(s3, clients.s3Presigner(), args[1]);
        try (InputStream in = content.open("benchmark/input.jsonl")) {
            // Spread as the Validate step spreads it, over the Map's default concurrency.
            result = new InputValidator(InputValidator.Limits.OPENAI, new S3ChunkStore(s3, args[1], content))
                    .validate(
                            "batch_benchmark",
                            "/v1/chat/completions",
                            in,
                            new InputValidator.Spread(
                                    content.size("benchmark/input.jsonl"), Benchmark.DEPLOYED.mapConcurrency()));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> p.getPeakUsage().getUsed())
                .sum();
        System.out.printf("%.2f %d %s%n", seconds, peak, result instanceof InputValidator.Result.Valid);
    }
}
