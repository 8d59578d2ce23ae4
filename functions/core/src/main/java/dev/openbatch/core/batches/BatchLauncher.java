package dev.openbatch.core.batches;

/** Starts running a stored batch: in the cloud and locally, an execution of the batch state machine. */
@FunctionalInterface
public interface BatchLauncher {

    /** Starts the batch's run; starting a batch that was started already does nothing more. */
    void start(String tenant, String batchId);
}
