package dev.openbatch.core.capacity;

import dev.openbatch.core.jobs.Job;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * This sandbox's leases on its jobs' capacity: a {@link Share} per endpoint (replica) and batch it
 * runs chunks of, each
 * renewed in the {@link CapacityStore} every {@link Policy#renewEvery} while the sandbox has lines
 * of that batch to run, and given back when its last chunk ends. A request only takes a permit of
 * its share, in memory: the store is written a few times a minute per sandbox, never per request.
 *
 * <p>The store keeps a record per endpoint ({@link Job.Endpoint#key}: the job's id for a job of one
 * endpoint), and the record keeps the sum of every sandbox's permits within that endpoint's
 * concurrency; a
 * sandbox that stops renewing (it died, or was frozen) loses its lease at its expiry, and stops
 * sending new requests a quarter of the lease's life before that, so that what it still believes
 * it holds has not been handed to another.
 */
public final class CapacityLeases {

    private static final System.Logger LOG = System.getLogger(CapacityLeases.class.getName());

    /**
     * How leases are held.
     *
     * @param ttl        how long a lease lasts unless renewed: how long a dead sandbox's permits stay taken
     * @param renewEvery how often a share is renewed: how soon a holder gives back what a newcomer is due
     * @param retryEvery how often a share that has less than its fair share asks again
     * @param minShare   the fewest permits worth another worker: a chunk whose batch already has
     *                   holders, and that would get fewer, is not started (see {@link NoCapacity}), so
     *                   that a job's chunks occupy about {@code concurrency / minShare} workers and no more
     */
    public record Policy(Duration ttl, Duration renewEvery, Duration retryEvery, int minShare) {

        public static final Policy DEFAULT =
                new Policy(Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMillis(250), 8);

        public Policy {
            if (renewEvery.compareTo(ttl.dividedBy(2)) > 0) {
                throw new IllegalArgumentException("a lease must be renewed at least twice in its life");
            }
            if (minShare < 1) {
                throw new IllegalArgumentException("minShare must be at least 1");
            }
        }
    }

    private final CapacityStore store;
    private final Clock clock;
    private final Policy policy;
    /** Names this sandbox in the store: each sandbox builds its own {@code CapacityLeases}. */
    private final String sandbox =
            HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());

    private final AtomicLong holders = new AtomicLong();
    private final Map<String, Share> shares = new ConcurrentHashMap<>();
    private final ReentrantLock joining = new ReentrantLock();
    private final ReentrantLock renewing = new ReentrantLock();
    private final Condition due = renewing.newCondition();
    private Thread renewer;

    public CapacityLeases(CapacityStore store, Clock clock, Policy policy) {
        this.store = store;
        this.clock = clock;
        this.policy = policy;
    }

    /** Leases of this process alone: each sandbox keeps its jobs' concurrency, shared fairly by its batches. */
    public static CapacityLeases inProcess(Clock clock) {
        return new CapacityLeases(new InMemoryCapacityStore(), clock, Policy.DEFAULT);
    }

    /**
     * A chunk of {@code lines} lines of the batch is about to run: its share of the job's capacity,
     * the batch's share in this sandbox if it has one already. The share asks for as many permits as
     * it has lines not yet ended, up to the job's concurrency; the adaptive limit steers below it.
     *
     * @throws NoCapacity when the job's capacity is taken (the chunk is to run later)
     */
    public Share join(Job job, String batchId, int lines) {
        return join(job.single(), batchId, lines, 1);
    }

    /**
     * As {@link #join(Job, String, int)}, on one endpoint of a job, for a chunk the Map starts with up
     * to {@code chunksAtOnce} of its batch's chunks at once: when it is the batch's first, it leaves
     * room for the others for one renewal period (see {@link Leases.Siblings}).
     */
    public Share join(Job.Endpoint endpoint, String batchId, int lines, int chunksAtOnce) {
        return join(endpoint, batchId, lines, chunksAtOnce, true);
    }

    /**
     * As {@link #join(Job.Endpoint, String, int, int)}, for a chunk already running whose other
     * endpoints for some of its lines went out: never refused, it takes its fair share as the others
     * give it back, and until then none (its requests wait).
     */
    public Share joinRunning(Job.Endpoint endpoint, String batchId, int lines) {
        return join(endpoint, batchId, lines, 1, false);
    }

    private Share join(Job.Endpoint endpoint, String batchId, int lines, int chunksAtOnce, boolean mayRefuse) {
        joining.lock();
        try {
            String key = endpoint.key() + " " + batchId;
            Share known = shares.get(key);
            if (known != null && known.addChunk(lines)) {
                return known;
            }
            Share share = new Share(
                    endpoint,
                    batchId,
                    sandbox + "-" + holders.incrementAndGet(),
                    lines,
                    new Leases.Siblings(
                            Math.max(1, chunksAtOnce), policy.renewEvery().toMillis()));
            if (!share.renew(mayRefuse)) {
                throw new NoCapacity(endpoint.key(), batchId);
            }
            shares.put(key, share);
            wakeRenewer();
            return share;
        } finally {
            joining.unlock();
        }
    }

    private void wakeRenewer() {
        renewing.lock();
        try {
            if (renewer == null) {
                renewer = Thread.ofVirtual().name("capacity-renewer-" + sandbox).start(this::renewWhileHeld);
            }
            due.signalAll();
        } finally {
            renewing.unlock();
        }
    }

    /** Renews each share when it is due, until no share is held; started again by the next join. */
    private void renewWhileHeld() {
        while (true) {
            long now = System.nanoTime();
            long next = now + policy.renewEvery().toNanos();
            for (Share share : shares.values()) {
                if (share.nextRenewal - now <= 0) {
                    try {
                        share.renew(false);
                    } catch (RuntimeException e) {
                        // The store is unreachable: the share keeps its grant until its validity runs out.
                        LOG.log(System.Logger.Level.WARNING, "renewing the lease of " + share.holder + " failed", e);
                        share.nextRenewal =
                                System.nanoTime() + policy.retryEvery().toNanos();
                    }
                }
                next = Math.min(next, share.nextRenewal);
            }
            renewing.lock();
            try {
                if (shares.isEmpty()) {
                    renewer = null;
                    return;
                }
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    due.awaitNanos(wait);
                }
            } catch (InterruptedException e) {
                renewer = null;
                return;
            } finally {
                renewing.unlock();
            }
        }
    }

    /**
     * Writes one change to the job's record: read it, decide, write over the version read; when
     * another sandbox wrote first, decide again over what it wrote.
     */
    private Leases.Renewal update(String jobId, java.util.function.Function<Leases, Leases.Renewal> decide) {
        Leases current = store.read(jobId);
        for (int attempt = 0; attempt < 50; attempt++) {
            Leases.Renewal renewal = decide.apply(current);
            if (renewal.next() == null || renewal.next() == current) {
                return renewal;
            }
            CapacityStore.Swap swap = store.compareAndSet(jobId, current.version(), renewal.next());
            if (swap.written()) {
                return renewal;
            }
            current = swap.current();
        }
        throw new IllegalStateException("the capacity record of job " + jobId + " changed under 50 writes in a row");
    }

    /**
     * A batch's lease in this sandbox, shared by the chunks of that batch it runs: requests take its
     * permits, at most as many at once as the lease grants.
     */
    public final class Share implements AutoCloseable {
        private final Job.Endpoint endpoint;
        private final String batchId;
        private final String holder;
        private final Leases.Siblings siblings;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        /** Held while the share's lease is written, so that a renewal cannot bring back a released lease. */
        private final ReentrantLock writing = new ReentrantLock();

        private int granted;
        private int target;
        private int inFlight;
        private int pending;
        private int chunks = 1;
        /** Whether the share has asked to renew early since its last renewal, to give back what it no longer needs. */
        private boolean surplusTold;

        private boolean closed;
        private long validUntil;
        private volatile long nextRenewal;

        private Share(Job.Endpoint endpoint, String batchId, String holder, int lines, Leases.Siblings siblings) {
            this.endpoint = endpoint;
            this.batchId = batchId;
            this.holder = holder;
            this.siblings = siblings;
            this.pending = lines;
        }

        /** Leave to send one request; give it back with {@link #release}. */
        public void acquire() throws InterruptedException {
            lock.lock();
            try {
                while (true) {
                    long now = System.nanoTime();
                    boolean valid = validUntil - now > 0;
                    if (valid && inFlight < granted) {
                        inFlight++;
                        return;
                    }
                    changed.awaitNanos(
                            valid
                                    ? Math.min(validUntil - now, TimeUnit.SECONDS.toNanos(1))
                                    : TimeUnit.SECONDS.toNanos(1));
                }
            } finally {
                lock.unlock();
            }
        }

        /** How many more requests it may send now. */
        public int free() {
            lock.lock();
            try {
                return validUntil - System.nanoTime() > 0 ? Math.max(0, granted - inFlight) : 0;
            } finally {
                lock.unlock();
            }
        }

        public void release() {
            lock.lock();
            try {
                inFlight--;
                changed.signal();
            } finally {
                lock.unlock();
            }
        }

        /**
         * One of the share's lines has ended: it wants one request less. When its last lines leave a
         * good part of its grant idle, it says so at once rather than at its next renewal, so that the
         * job's other holders, which look again soon while they want more than they hold, can take
         * that part.
         */
        public void ended() {
            boolean tell;
            lock.lock();
            try {
                pending--;
                tell = !surplusTold && granted - pending >= Math.max(2, granted / 4);
                surplusTold |= tell;
            } finally {
                lock.unlock();
            }
            if (tell) {
                nextRenewal = System.nanoTime();
                wakeRenewer();
            }
        }

        /** The chunk that joined is done; the share's lease is given back when its last chunk is. */
        @Override
        public void close() {
            lock.lock();
            try {
                if (--chunks > 0) {
                    return;
                }
                closed = true;
            } finally {
                lock.unlock();
            }
            shares.remove(endpoint.key() + " " + batchId, this);
            writing.lock();
            try {
                update(
                        endpoint.key(),
                        current -> current.holders().containsKey(holder)
                                ? new Leases.Renewal(current.release(holder, clock.millis()), 0, 0)
                                : new Leases.Renewal(current, 0, 0));
            } catch (RuntimeException e) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "giving back the lease of " + holder + " failed; it lapses by itself within " + policy.ttl(),
                        e);
            } finally {
                writing.unlock();
            }
        }

        /** How many permits the lease grants now. */
        public int granted() {
            lock.lock();
            try {
                return validUntil - System.nanoTime() > 0 ? granted : 0;
            } finally {
                lock.unlock();
            }
        }

        private boolean addChunk(int lines) {
            lock.lock();
            try {
                if (closed) {
                    return false;
                }
                chunks++;
                pending += lines;
            } finally {
                lock.unlock();
            }
            wakeRenewer();
            nextRenewal = System.nanoTime();
            return true;
        }

        /** Renews the lease in the store; answers false when a newcomer is refused. */
        private boolean renew(boolean admitting) {
            writing.lock();
            try {
                int wanted;
                int sending;
                lock.lock();
                try {
                    if (closed) {
                        return true;
                    }
                    wanted = Math.max(0, Math.min(pending, endpoint.concurrency()));
                    sending = inFlight;
                    // Lines ending from here on are news to the next renewal, not to this one.
                    surplusTold = false;
                } finally {
                    lock.unlock();
                }
                long started = System.nanoTime();
                long startedAt = clock.millis();
                long ttl = policy.ttl().toMillis();
                long[] expiresAt = new long[1];
                int[] recorded = new int[1];
                Leases.Renewal renewal = update(endpoint.key(), current -> {
                    long now = clock.millis();
                    Leases.Renewal next = current.renew(
                            holder,
                            batchId,
                            wanted,
                            sending,
                            endpoint.concurrency(),
                            policy.minShare(),
                            now,
                            ttl,
                            admitting,
                            siblings);
                    Leases.Lease before = current.holders().get(holder);
                    Leases.Lease after =
                            next.refused() ? null : next.next().holders().get(holder);
                    // Nothing new to say and the lease far from its end: the read was enough.
                    if (before != null
                            && after != null
                            && before.expiresAt() - now > ttl / 2
                            && before.wanted() == after.wanted()
                            && before.permits() == after.permits()) {
                        expiresAt[0] = before.expiresAt();
                        recorded[0] = before.permits();
                        return new Leases.Renewal(current, next.granted(), next.target());
                    }
                    expiresAt[0] = after == null ? 0 : after.expiresAt();
                    recorded[0] = after == null ? 0 : after.permits();
                    return next;
                });
                if (renewal.refused()) {
                    return false;
                }
                lock.lock();
                try {
                    granted = renewal.granted();
                    target = renewal.target();
                    // Used no longer than a quarter of its life before the lease as written lapses.
                    validUntil = started + TimeUnit.MILLISECONDS.toNanos(expiresAt[0] - ttl / 4 - startedAt);
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                // Soon again while short of its share, or while it still records more than it was granted:
                // its requests in flight are coming back, and what they free is someone else's due. Sooner
                // than the period while it wants more than it holds: a holder that leaves or gives back (in
                // another sandbox, which cannot say so but through the store) is taken up within a read.
                boolean changing = renewal.granted() < renewal.target() || recorded[0] > renewal.granted();
                boolean hungry = wanted > renewal.granted();
                long next = System.nanoTime()
                        + (changing
                                        ? policy.retryEvery()
                                        : hungry ? policy.renewEvery().dividedBy(4) : policy.renewEvery())
                                .toNanos();
                lock.lock();
                try {
                    // A line that told of a surplus while this renewal was written asked for the next one now.
                    nextRenewal = surplusTold ? System.nanoTime() : next;
                } finally {
                    lock.unlock();
                }
                return true;
            } finally {
                writing.unlock();
            }
        }
    }
}
