package dev.openbatch.stepfunctions;

/**
 * What a task's integration answers instead of the function's result, when the service refuses the
 * call itself (Lambda's {@code AccessDeniedException} for an invoke the state machine's role may
 * not make): the task fails with this error name and cause, as Step Functions reports it.
 */
public final class TaskError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String error;

    public TaskError(String error, String cause) {
        super(cause, null, false, false);
        this.error = error;
    }

    public String error() {
        return error;
    }
}
