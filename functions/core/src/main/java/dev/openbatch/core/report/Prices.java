package dev.openbatch.core.report;

/**
 * The cloud's list prices for what the orchestration uses, in US dollars: the one table that the
 * batch report and the benchmark both price with. us-east-1, arm64 Lambda, on-demand DynamoDB,
 * S3 Standard, SQS standard queues, Step Functions Standard, API Gateway HTTP APIs.
 */
public final class Prices {

    /** How the report names these prices. */
    public static final String DESCRIPTION = "us-east-1 list prices, arm64 Lambda";

    public static final double LAMBDA_GB_SECOND = 0.0000133334;
    public static final double LAMBDA_REQUEST = 0.20 / 1e6;
    public static final double STATE_TRANSITION = 0.025 / 1000;
    public static final double SQS_REQUEST = 0.40 / 1e6;
    public static final double DYNAMODB_WRITE = 0.625 / 1e6;
    public static final double DYNAMODB_READ = 0.125 / 1e6;
    public static final double S3_WRITE = 0.005 / 1000;
    public static final double S3_READ = 0.0004 / 1000;
    public static final double HTTP_API_REQUEST = 1.00 / 1e6;

    private Prices() {}

    /**
     * The state transitions of a batch of {@code chunks} chunks that runs to its end, by the shape of
     * {@code statemachine/batch.asl.json}: Validate, IsValid, RunChunks, a RunChunk task per chunk,
     * Finalize, and the execution's end.
     */
    public static long stateTransitions(long chunks) {
        return 5 + chunks;
    }
}
