package dev.openbatch.stepfunctions;

/**
 * The Step Functions Standard quotas local Step Functions enforces, as the service does, so that a
 * definition or an input that would break one in the cloud breaks here too.
 */
final class Limits {

    /** State input and output, task results, execution input and task output: 256 KiB as UTF-8. */
    static final int PAYLOAD_BYTES = 256 * 1024;

    /** Events in one execution's history; the event that takes the last id is the execution's failure. */
    static final int HISTORY_EVENTS = 25_000;

    /** What the execution fails with when its history is full, as the service words it. */
    static final String HISTORY_FULL =
            "The execution reached the maximum number of history events (" + HISTORY_EVENTS + ").";

    /** Iterations an INLINE Map runs at once, whatever its MaxConcurrency asks. */
    static final int INLINE_MAP_CONCURRENCY = 40;

    private Limits() {}

    /**
     * Why a concurrency above {@link #INLINE_MAP_CONCURRENCY} is refused. The service quietly runs
     * 40 at once; local Step Functions refuses, so that a setting that asks for more cannot pass for
     * one that gets it.
     */
    static String inlineMapConcurrency(String field, long asked) {
        return field + " " + asked + " is above " + INLINE_MAP_CONCURRENCY + ", the most iterations an INLINE Map"
                + " runs at once in Step Functions; ask for at most " + INLINE_MAP_CONCURRENCY
                + " (a DISTRIBUTED Map runs more, and local Step Functions does not run it)";
    }
}
