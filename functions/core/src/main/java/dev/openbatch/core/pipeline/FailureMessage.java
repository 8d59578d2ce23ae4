package dev.openbatch.core.pipeline;

/**
 * What a failed batch's {@code errors} say to its owner: what went wrong, in words. The state
 * machine's error ({@code States.Timeout}, {@code Lambda.Unknown}, a Java exception's name) and its
 * cause (often a stack trace, an S3 key, an ARN) are for operators and the log, never for the
 * tenant, whose batch they are not about.
 */
final class FailureMessage {

    private FailureMessage() {}

    /**
     * @param error  the name of the error the state machine caught
     * @param joined whether the batch's files hold what its chunks produced
     */
    static String of(String error, boolean joined) {
        String what = error == null ? "" : error;
        String why;
        if (what.equals("States.Timeout") || what.equals("States.HeartbeatTimeout")) {
            why = "The batch did not finish in the time it was given.";
        } else if (what.startsWith("SQS.") || what.startsWith("Sqs")) {
            why = "The batch's requests could not be handed to the workers.";
        } else {
            why = "An internal error stopped the batch.";
        }
        return why
                + (joined
                        ? " Requests that finished are in the output and error files; every other request is in the error file."
                        : " Please try again; if it fails again, contact the operator of this service.");
    }
}
