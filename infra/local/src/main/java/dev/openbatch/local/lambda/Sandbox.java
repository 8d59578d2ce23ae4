package dev.openbatch.local.lambda;

import com.amazonaws.services.lambda.runtime.Context;

/**
 * One execution environment of a function: its own handler, built by the function's factory with
 * its own clients and ports, running one invocation at a time. A sandbox whose invocation
 * outlived the function's timeout is discarded, as Lambda discards it: from then on every AWS call
 * made from it, by the invocation's thread or by a thread it started, is refused by
 * {@link SandboxGuard}, so nothing it does after its timeout counts.
 */
public final class Sandbox {

    /**
     * The sandbox the current thread runs in. Inherited by every thread a handler starts (virtual
     * threads inherit it too), so a handler's own worker threads belong to its sandbox.
     */
    private static final InheritableThreadLocal<Sandbox> CURRENT = new InheritableThreadLocal<>();

    private final String function;
    private final int number;
    private volatile Context context;
    private volatile boolean discarded;

    Sandbox(String function, int number) {
        this.function = function;
        this.number = number;
    }

    /** The sandbox the calling thread runs in, or null outside every sandbox. */
    static Sandbox current() {
        return CURRENT.get();
    }

    static void enter(Sandbox sandbox) {
        CURRENT.set(sandbox);
    }

    static void leave() {
        CURRENT.remove();
    }

    /** The context of the invocation this sandbox runs now, for handlers that are handed none. */
    public Context context() {
        Context now = context;
        if (now == null) {
            throw new IllegalStateException(this + " runs no invocation");
        }
        return now;
    }

    void context(Context context) {
        this.context = context;
    }

    void discard() {
        discarded = true;
    }

    public boolean discarded() {
        return discarded;
    }

    @Override
    public String toString() {
        return function + " sandbox " + number;
    }
}
