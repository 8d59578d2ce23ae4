package dev.openbatch.local.stepfunctions;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.local.stepfunctions.LocalStepFunctions.ExecutionDescription;
import dev.openbatch.local.stepfunctions.LocalStepFunctions.ExecutionStatus;
import java.time.Instant;

/**
 * One run of a state machine: what DescribeExecution reports, and the thread that walks the
 * states. The first close wins: a stop or a timeout interrupts the thread, and whatever the thread
 * then finishes with is ignored.
 */
final class Execution {

    final String arn;
    final String name;
    final String stateMachineArn;
    final String input;
    final JsonNode inputJson;
    final Instant startDate = Instant.now();

    private ExecutionStatus status = ExecutionStatus.RUNNING;
    private Instant stopDate;
    private String output;
    private String error;
    private String cause;
    private Thread thread;

    Execution(String arn, String name, String stateMachineArn, String input, JsonNode inputJson) {
        this.arn = arn;
        this.name = name;
        this.stateMachineArn = stateMachineArn;
        this.input = input;
        this.inputJson = inputJson;
    }

    synchronized void runOn(Thread thread) {
        this.thread = thread;
        thread.start();
    }

    synchronized boolean running() {
        return status == ExecutionStatus.RUNNING;
    }

    /** Records the end; false if the execution had already ended. */
    synchronized boolean close(ExecutionStatus status, String output, String error, String cause) {
        if (this.status != ExecutionStatus.RUNNING) {
            return false;
        }
        this.status = status;
        this.stopDate = Instant.now();
        this.output = output;
        this.error = error;
        this.cause = cause;
        return true;
    }

    /** Ends a running execution from outside (StopExecution, its TimeoutSeconds) and interrupts its work. */
    synchronized void stop(ExecutionStatus status, String error, String cause) {
        if (close(status, null, error, cause) && thread != null) {
            thread.interrupt();
        }
    }

    synchronized Instant stopDate() {
        return stopDate;
    }

    synchronized ExecutionDescription describe() {
        return new ExecutionDescription(arn, stateMachineArn, name, status, startDate, stopDate, input, output, error, cause);
    }
}
