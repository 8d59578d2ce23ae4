package dev.openbatch.local;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition, looking again every 100 ms; fails past the deadline. */
final class Poll {

    private Poll() {}

    static void until(Duration within, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within " + within);
            }
            AwaitBatch.pause();
        }
    }
}
