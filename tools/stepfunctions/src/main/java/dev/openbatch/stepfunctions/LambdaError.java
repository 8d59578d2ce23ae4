package dev.openbatch.stepfunctions;

/**
 * An invocation that Lambda itself ended in failure (the function ran out of time, its answer was
 * too large, or its request was), as opposed to an exception the function threw. A function given
 * to {@link LocalStepFunctions} throws an exception that implements this to have its task fail
 * with {@link #errorType()}, the name Lambda reports, rather than the exception's class name: a
 * Retry or Catch written for the cloud then matches locally too. The Lambda emulator owns its
 * errors; the executor owns only this view of them.
 */
public interface LambdaError {

    /** Lambda's {@code errorType} for the failure, e.g. {@code Sandbox.Timedout}. */
    String errorType();
}
