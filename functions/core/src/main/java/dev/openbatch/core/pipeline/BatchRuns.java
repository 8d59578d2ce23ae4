package dev.openbatch.core.pipeline;

/**
 * The runs of a batch, by number: run 0 is the one its creation starts (an execution of the batch
 * state machine named after the batch), and the {@link Sweep} may start further ones when a run
 * ended, or stopped making progress, without ending its batch. Every step of a run is idempotent,
 * so a later run goes on from what the earlier ones left.
 */
public interface BatchRuns {

    enum State {
        ABSENT,
        RUNNING,
        ENDED
    }

    /** Whether that run was ever started, and whether it is still going. */
    State state(String batchId, int run);

    /** Starts that run; starting it again while it exists does nothing more. */
    void start(String tenant, String batchId, int run);

    /** Stops that run if it is going; a run that never started or has ended is left as it is. */
    void stop(String batchId, int run);
}
