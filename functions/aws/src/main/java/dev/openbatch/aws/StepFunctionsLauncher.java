package dev.openbatch.aws;

import dev.openbatch.core.Json;
import dev.openbatch.core.batches.BatchLauncher;
import dev.openbatch.core.pipeline.BatchRuns;
import java.util.Map;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionAlreadyExistsException;
import software.amazon.awssdk.services.sfn.model.ExecutionDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;

/**
 * Starts a batch as an execution of the state machine, named after the batch: Step Functions
 * refuses a second execution of the same name, so a retried start cannot run a batch twice. The
 * sweeper's further runs of a batch are executions named after the batch and the run's number.
 */
public final class StepFunctionsLauncher implements BatchLauncher, BatchRuns {

    private final SfnClient sfn;
    private final String stateMachineArn;

    public StepFunctionsLauncher(SfnClient sfn, String stateMachineArn) {
        this.sfn = sfn;
        this.stateMachineArn = stateMachineArn;
    }

    /** The execution's input: claim checks only. */
    public static String input(String tenant, String batchId) {
        return Json.writeString(Map.of("batch_id", batchId, "tenant", tenant));
    }

    /** The name of a batch's run: the batch id for its first, then {@code <batch id>-run-<n>}. */
    public static String executionName(String batchId, int run) {
        return run == 0 ? batchId : batchId + "-run-" + run;
    }

    @Override
    public void start(String tenant, String batchId) {
        start(tenant, batchId, 0);
    }

    @Override
    public void start(String tenant, String batchId, int run) {
        try {
            sfn.startExecution(b -> b.stateMachineArn(stateMachineArn)
                    .name(executionName(batchId, run))
                    .input(input(tenant, batchId)));
        } catch (ExecutionAlreadyExistsException alreadyRunning) {
            // started before, with other input: the batch runs once either way
        }
    }

    @Override
    public State state(String batchId, int run) {
        try {
            ExecutionStatus status = sfn.describeExecution(b -> b.executionArn(executionArn(batchId, run)))
                    .status();
            // PENDING_REDRIVE: an operator redrove it, and it goes on
            return status == ExecutionStatus.RUNNING || status == ExecutionStatus.PENDING_REDRIVE
                    ? State.RUNNING
                    : State.ENDED;
        } catch (ExecutionDoesNotExistException never) {
            return State.ABSENT;
        }
    }

    @Override
    public void stop(String batchId, int run) {
        if (state(batchId, run) != State.RUNNING) {
            return;
        }
        try {
            sfn.stopExecution(b -> b.executionArn(executionArn(batchId, run))
                    .error("openbatch.Sweeper")
                    .cause("stopped by the sweeper: a new run of the batch replaces it"));
        } catch (ExecutionDoesNotExistException never) {
            // nothing to stop
        }
    }

    /** An execution's ARN is its state machine's, with {@code execution} for {@code stateMachine} and its name after. */
    private String executionArn(String batchId, int run) {
        return stateMachineArn.replace(":stateMachine:", ":execution:") + ":" + executionName(batchId, run);
    }
}
