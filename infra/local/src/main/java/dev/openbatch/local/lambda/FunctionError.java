package dev.openbatch.local.lambda;

import dev.openbatch.stepfunctions.LambdaError;

/**
 * An invocation that Lambda itself ended in failure, named as Lambda names it in the error it
 * answers ({@code errorType}, {@code errorMessage}): the function ran out of time, its answer was
 * too large, or its request was. Step Functions' {@code lambda:invoke} reports {@code errorType}
 * as the task's error, so a Retry or Catch written for the cloud matches locally too.
 */
public final class FunctionError extends RuntimeException implements LambdaError {

    private static final long serialVersionUID = 1L;

    /** What the runtime reports for an invocation stopped at the function's timeout. */
    public static final String TIMED_OUT = "Sandbox.Timedout";
    /** What Lambda reports for an answer over {@link LocalLambda#MAX_SYNC_PAYLOAD_BYTES}. */
    public static final String RESPONSE_TOO_LARGE = "Function.ResponseSizeTooLarge";
    /** Lambda's Invoke refusing a request over its limit, as Step Functions names a Lambda service error. */
    public static final String REQUEST_TOO_LARGE = "Lambda.RequestTooLargeException";

    private final String errorType;

    public FunctionError(String errorType, String errorMessage) {
        super(errorMessage);
        this.errorType = errorType;
    }

    public static FunctionError timedOut(String requestId, long timeoutMillis) {
        return new FunctionError(
                TIMED_OUT,
                String.format(
                        java.util.Locale.ROOT,
                        "RequestId: %s Error: Task timed out after %.2f seconds",
                        requestId,
                        timeoutMillis / 1000.0));
    }

    public static FunctionError responseTooLarge(long limit) {
        return new FunctionError(
                RESPONSE_TOO_LARGE,
                "Response payload size exceeded maximum allowed payload size (" + limit + " bytes).");
    }

    public static FunctionError requestTooLarge(long limit) {
        return new FunctionError(
                REQUEST_TOO_LARGE, "Request must be smaller than " + limit + " bytes for the Invoke operation");
    }

    /** Lambda's {@code errorType}, e.g. {@value #TIMED_OUT}. */
    @Override
    public String errorType() {
        return errorType;
    }

    public boolean timedOut() {
        return TIMED_OUT.equals(errorType);
    }
}
