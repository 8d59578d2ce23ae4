package dev.openbatch.stepfunctions;

/**
 * An error raised while a state runs, named as Step Functions names it. Retry and Catch see it
 * unless it is terminal: {@code States.Runtime} and {@code States.DataLimitExceeded} end the
 * execution whatever the definition says, as they do in the cloud.
 */
final class StateFailure extends Exception {

    private static final long serialVersionUID = 1L;

    static final String ALL = "States.ALL";
    static final String TASK_FAILED = "States.TaskFailed";
    static final String TIMEOUT = "States.Timeout";
    static final String HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout";
    static final String RUNTIME = "States.Runtime";
    static final String DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded";
    static final String NO_CHOICE_MATCHED = "States.NoChoiceMatched";

    private final String error;
    private final String cause;
    private final boolean terminal;

    private StateFailure(String error, String cause, boolean terminal) {
        super(error + (cause == null ? "" : ": " + cause), null, false, false);
        this.error = error;
        this.cause = cause;
        this.terminal = terminal;
    }

    /** A failure Retry and Catch may handle. */
    static StateFailure of(String error, String cause) {
        return new StateFailure(error, cause, false);
    }

    static StateFailure runtime(String cause) {
        return new StateFailure(RUNTIME, cause, true);
    }

    static StateFailure dataLimitExceeded(String cause) {
        return new StateFailure(DATA_LIMIT_EXCEEDED, cause, true);
    }

    String error() {
        return error;
    }

    String cause() {
        return cause;
    }

    boolean terminal() {
        return terminal;
    }

    /**
     * Whether an {@code ErrorEquals} name covers this error. {@code States.Timeout} also covers a
     * heartbeat timeout, which the States Language describes as a kind of timeout, and so
     * {@code States.TaskFailed}, "any error except States.Timeout", covers neither.
     */
    boolean matches(String name) {
        boolean timeout = TIMEOUT.equals(error) || HEARTBEAT_TIMEOUT.equals(error);
        return switch (name) {
            case ALL -> true;
            case TASK_FAILED -> !timeout;
            case TIMEOUT -> timeout;
            default -> name.equals(error);
        };
    }
}
