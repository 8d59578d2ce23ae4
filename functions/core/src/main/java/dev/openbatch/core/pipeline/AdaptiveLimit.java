package dev.openbatch.core.pipeline;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How many requests may be in flight to one endpoint, adapted to what the endpoint says (AIMD):
 * each success adds {@code 1/limit} — one more request a round trip —, a 429 or 503 takes a tenth
 * off, and it never exceeds the job's cap nor falls below one. It grows only while it is at least half
 * used, as Netflix's concurrency-limits does: a limit that something else holds down (the job's
 * share of its capacity across workers, a chunk's last lines) says nothing of what the endpoint takes. A burst of refusals from requests
 * sent under the same limit cuts it once, not once each. A tenth rather than TCP's half (the
 * backoff ratio Netflix's concurrency-limits uses too): an inference server refuses at a hard cap,
 * often for one request that raced another's completion, and halving would idle half the GPU for
 * dozens of round trips.
 *
 * <p>A lock and condition rather than {@code synchronized}: waiting virtual threads must not pin
 * their carriers.
 */
public final class AdaptiveLimit {

    static final double BACKOFF = 0.9;

    private final int cap;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private double limit;
    private int inFlight;
    /** Counts the decreases; a permit remembers the one it was taken under. */
    private long epoch;

    public AdaptiveLimit(int cap) {
        this.cap = cap;
        this.limit = cap;
    }

    /** Leave to send one request; say how it went with {@link Permit#release}. */
    public Permit acquire() throws InterruptedException {
        lock.lock();
        try {
            while (inFlight >= (int) limit) {
                released.await();
            }
            inFlight++;
            return new Permit(epoch, inFlight * 2 >= limit);
        } finally {
            lock.unlock();
        }
    }

    /** How many more requests the limit lets in now. */
    public int free() {
        lock.lock();
        try {
            return Math.max(0, (int) limit - inFlight);
        } finally {
            lock.unlock();
        }
    }

    public int cap() {
        return cap;
    }

    /** The current limit, rounded down. */
    public int limit() {
        lock.lock();
        try {
            return (int) limit;
        } finally {
            lock.unlock();
        }
    }

    /** One request's leave to be in flight. */
    public final class Permit {
        private final long takenAt;
        /** Whether the limit was half used or more when it was taken: only then does a success say it may grow. */
        private final boolean used;

        private boolean released;

        private Permit(long takenAt, boolean used) {
            this.takenAt = takenAt;
            this.used = used;
        }

        /** Returns the leave: {@code status} is the endpoint's answer, or 0 when there was none (a timeout, a reset). */
        public void release(int status) {
            lock.lock();
            try {
                if (released) {
                    return;
                }
                released = true;
                inFlight--;
                if (status == 429 || status == 503) {
                    if (takenAt == epoch) {
                        limit = Math.max(1, limit * BACKOFF);
                        epoch++;
                    }
                } else if (status >= 200 && status < 300 && used) {
                    limit = Math.min(cap, limit + 1 / limit);
                }
                AdaptiveLimit.this.released.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
