package dev.openbatch.deployment;

/**
 * How long each function may run, in seconds, as deployed: the stack gives each function its
 * timeout from here, and the local runtime stops its functions at the same ones. The worker's is
 * the configuration's {@code worker.timeout_seconds}.
 */
public final class FunctionTimeouts {

    /** Streams a whole input file of up to 200 MB: Lambda's most. */
    public static final int VALIDATE_SECONDS = 900;
    /** Joins every chunk's parts into the output and error files: Lambda's most. */
    public static final int FINALIZE_SECONDS = 900;
    /** API Gateway gives an integration at most 30 s; the function stops first. */
    public static final int API_SECONDS = 29;
    /** One key looked up in one table. */
    public static final int AUTHORIZER_SECONDS = 10;
    /** Copies a dropped file of up to 200 MB in as a batch's input. */
    public static final int INGEST_SECONDS = 300;
    /** The dead-letter consumer writes one part and answers one task. */
    public static final int DEAD_LETTER_SECONDS = 30;
    /** A few queries of the sweep index and a start, stop or end for each batch due. */
    public static final int SWEEPER_SECONDS = 120;
    /** The webhook sender: a batch of ten deliveries, each connecting and answered within 10 s. */
    public static final int WEBHOOKS_SECONDS = 120;

    private FunctionTimeouts() {}
}
