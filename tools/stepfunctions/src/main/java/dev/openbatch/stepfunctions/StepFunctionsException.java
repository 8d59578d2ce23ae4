package dev.openbatch.stepfunctions;

/**
 * A refused Step Functions API call, carrying the error code AWS would answer with
 * ({@code ExecutionAlreadyExists}, {@code InvalidDefinition}, {@code TaskTimedOut}, ...). The server
 * sends it as HTTP 400 with {@code {"__type": code, "message": message}}, which the SDK turns into
 * the matching exception class.
 */
public final class StepFunctionsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String errorCode;

    public StepFunctionsException(String errorCode, String message) {
        super(message);
        this.errorCode = errorCode;
    }

    /** The AWS error code, e.g. {@code ExecutionDoesNotExist}. */
    public String errorCode() {
        return errorCode;
    }

    static StepFunctionsException invalidDefinition(String message) {
        return new StepFunctionsException("InvalidDefinition", "Invalid State Machine Definition: " + message);
    }
}
