package dev.openbatch.benchmark;

import static dev.openbatch.core.report.Prices.DYNAMODB_READ;
import static dev.openbatch.core.report.Prices.DYNAMODB_WRITE;
import static dev.openbatch.core.report.Prices.HTTP_API_REQUEST;
import static dev.openbatch.core.report.Prices.LAMBDA_GB_SECOND;
import static dev.openbatch.core.report.Prices.LAMBDA_REQUEST;
import static dev.openbatch.core.report.Prices.S3_READ;
import static dev.openbatch.core.report.Prices.S3_WRITE;
import static dev.openbatch.core.report.Prices.SQS_REQUEST;
import static dev.openbatch.core.report.Prices.STATE_TRANSITION;

import dev.openbatch.core.fakes.LargestInput;
import dev.openbatch.core.report.Prices;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the cloud charges for everything but the GPU, for one batch: AWS API calls counted while the
 * local runtime ran a batch, scaled per chunk to the batch asked about, plus the Lambda time and
 * state transitions that the pipeline's shape fixes, at the list prices of {@link Prices}.
 */
final class CostModel {

    static final int CHUNK_LINES = 500;
    /** Memory of the worker, validator and finalizer functions the stack deploys. */
    static final double WORKER_GB = 1.0;

    static final double VALIDATOR_GB = 1.0;
    /** A finalizer's time per chunk it joins, and an API call's time and memory. */
    static final double FINALIZER_SECONDS_PER_CHUNK = 0.05;

    static final double API_SECONDS = 0.1;
    static final double API_GB = 0.5;
    /** A user polling every 10 s, as the README's examples do. */
    static final int POLL_SECONDS = 10;

    record Estimate(double total, String itemised) {}

    private CostModel() {}

    /**
     * @param counted           AWS calls counted while a batch of {@code countedLines} ran locally
     * @param countedSeconds    how long that batch ran, create to end
     * @param lines             the batch to price
     * @param latencySeconds    the model's mean latency
     * @param gpuConcurrency    requests the GPU serves at once, which the workers keep in flight
     * @param mapConcurrency    the Map's concurrency: how many chunks, and so workers, run a batch at once
     * @param validationSeconds measured time to validate and chunk a 200 MB file
     */
    static Estimate estimate(
            Map<String, Long> counted,
            int countedLines,
            double countedSeconds,
            int lines,
            double latencySeconds,
            int gpuConcurrency,
            int mapConcurrency,
            double validationSeconds) {
        double chunks = chunks(lines, mapConcurrency);
        // The GPU is the bottleneck: the batch takes as long as the GPU needs, and the batch's chunks run
        // side by side all that time (one wave), each worker waiting on its share of the GPU: workers cost
        // their number times the batch's time, not the GPU's time once.
        double gpuSeconds = lines * latencySeconds / gpuConcurrency;
        double workerSeconds = gpuSeconds * chunks;
        // Most of the workers' calls follow their time (leases renewed, checkpoints, status reads), the rest
        // their number (parts, messages): scaled by worker time, the counted calls are an upper bound.
        double scale = workerSeconds / (countedSeconds * chunks(countedLines, mapConcurrency));
        double validatorSeconds = validationSeconds * lines / LargestInput.LINES;
        double apiCalls = 2 + gpuSeconds / POLL_SECONDS; // upload, create, then the polls
        double invocations = chunks + 2 + apiCalls; // a worker per chunk, validate, finalize, the API

        List<Item> items = new ArrayList<>();
        items.add(new Item(
                "Step Functions state transitions",
                Prices.stateTransitions((long) chunks) * STATE_TRANSITION,
                "%d (Validate, Choice, Map, one task per chunk, Finalize, Succeed)",
                Prices.stateTransitions((long) chunks)));
        items.add(new Item(
                "Lambda requests",
                invocations * LAMBDA_REQUEST,
                "%.0f (a worker per chunk, validate, finalize, upload, create, polls)",
                invocations));
        double gbSeconds = workerSeconds * WORKER_GB
                + validatorSeconds * VALIDATOR_GB
                + chunks * FINALIZER_SECONDS_PER_CHUNK * WORKER_GB
                + invocations * API_SECONDS * API_GB;
        items.add(new Item(
                "Lambda GB-seconds",
                gbSeconds * LAMBDA_GB_SECOND,
                "%.0f (%.0f workers %.0f s each at %.0f GB while the GPU works; validator %.1f s; finalizer; API)",
                gbSeconds,
                chunks,
                gpuSeconds,
                WORKER_GB,
                validatorSeconds));
        items.add(new Item("API Gateway requests", apiCalls * HTTP_API_REQUEST, "%.0f", apiCalls));
        // Receives are the event source mapping's long polls (20 s, five pollers), not the local poller's.
        double sqs = (sum(counted, "Sqs SendMessage") + sum(counted, "Sqs DeleteMessage")) * scale
                + chunks
                + 5 * gpuSeconds / 20;
        items.add(new Item(
                "SQS requests",
                sqs * SQS_REQUEST,
                "%.0f (sends and deletes counted, scaled; receives: one a chunk and five pollers' 20 s long polls)",
                sqs));
        double writes = (sum(counted, "DynamoDb PutItem")
                        + sum(counted, "DynamoDb UpdateItem")
                        + sum(counted, "DynamoDb DeleteItem"))
                * scale;
        double reads = (sum(counted, "DynamoDb GetItem") + sum(counted, "DynamoDb Query")) * scale;
        items.add(new Item("DynamoDB writes", writes * DYNAMODB_WRITE, "%.0f counted, scaled", writes));
        items.add(new Item("DynamoDB reads", reads * DYNAMODB_READ, "%.0f counted, scaled", reads));
        // Not ListObjectsV2: the local runtime's drop watcher lists; in the cloud EventBridge tells.
        double s3Writes = (sum(counted, "S3 PutObject")
                        + sum(counted, "S3 CreateMultipartUpload")
                        + sum(counted, "S3 UploadPart")
                        + sum(counted, "S3 CompleteMultipartUpload")
                        + sum(counted, "S3 CopyObject"))
                * scale;
        double s3Reads = (sum(counted, "S3 GetObject") + sum(counted, "S3 HeadObject")) * scale;
        items.add(new Item("S3 writes (PUT)", s3Writes * S3_WRITE, "%.0f counted, scaled", s3Writes));
        items.add(new Item("S3 reads (GET, HEAD)", s3Reads * S3_READ, "%.0f counted, scaled", s3Reads));

        StringBuilder text = new StringBuilder(String.format(
                Locale.ROOT,
                "Cost of orchestration, %d lines at %.0f s, %d in flight at the GPU (%.0f s of GPU time), us-east-1 list prices:%n",
                lines,
                latencySeconds,
                gpuConcurrency,
                gpuSeconds));
        text.append("| item | quantity | cost |\n| --- | --- | --- |\n");
        double total = 0;
        for (Item item : items) {
            total += item.cost();
            text.append(String.format(Locale.ROOT, "| %s | %s | $%.5f |%n", item.name(), item.quantity(), item.cost()));
        }
        text.append(String.format(Locale.ROOT, "| total | | $%.4f |%n", total));
        return new Estimate(total, text.toString());
    }

    /** One line of the bill: what, how much of it and how it was found, and what it costs. */
    private record Item(String name, double cost, String quantity) {
        Item(String name, double cost, String quantityFormat, Object... values) {
            this(name, cost, String.format(Locale.ROOT, quantityFormat, values));
        }
    }

    /** A batch of short lines is spread over the Map's concurrency, in chunks of at least {@link #CHUNK_LINES}. */
    private static double chunks(int lines, int mapConcurrency) {
        return Math.min(Math.ceil(lines / (double) CHUNK_LINES), mapConcurrency);
    }

    private static double sum(Map<String, Long> counted, String prefix) {
        return counted.entrySet().stream()
                .filter(e -> e.getKey().startsWith(prefix))
                .mapToLong(Map.Entry::getValue)
                .sum();
    }
}
