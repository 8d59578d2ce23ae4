package dev.openbatch.aws;

import dev.openbatch.core.Json;
import dev.openbatch.core.batches.BatchLauncher;
import java.util.Map;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionAlreadyExistsException;

/**
 * Starts a batch as an execution of the state machine, named after the batch: Step Functions
 * refuses a second execution of the same name, so a retried start cannot run a batch twice.
 */
public final class StepFunctionsLauncher implements BatchLauncher {

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

    @Override
    public void start(String tenant, String batchId) {
        try {
            sfn.startExecution(b -> b.stateMachineArn(stateMachineArn).name(batchId).input(input(tenant, batchId)));
        } catch (ExecutionAlreadyExistsException alreadyRunning) {
            // started before, with other input: the batch runs once either way
        }
    }
}
