package dev.openbatch.core.pipeline;

import dev.openbatch.core.capacity.CapacityLeases;
import dev.openbatch.core.capacity.NoCapacity;
import dev.openbatch.core.jobs.Job;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A job's endpoints as this process drives them: each replica with its own adaptive in-flight limit
 * ({@link AdaptiveLimit}, up to its {@code concurrency}), which replicas are out, and which replica
 * each attempt of a line goes to.
 *
 * <p>An attempt goes to a replica that serves the line's model and is in, the one with the most free
 * permits less the lines already waiting for it (join the shortest queue). A replica that refuses a
 * connection, or fails {@link #BURST} attempts in a row (5xx, timeouts, resets) with no answer
 * between, is out for a cool-down ({@link #COOL_DOWN}, doubling up to {@link #MAX_COOL_DOWN} while
 * it keeps failing); then one line is its trial, and the first answer brings it back. When every
 * replica for a model is out, its lines go to them all the same, as a job of one endpoint always
 * does: they fail, back off and retry under the retry policy, and none is lost. Out is per process
 * (a sandbox): each learns it from its own attempts, in a few of them.
 */
final class Pool {

    /** Failed attempts in a row that take a replica out. */
    static final int BURST = 5;

    static final Duration COOL_DOWN = Duration.ofSeconds(1);
    static final Duration MAX_COOL_DOWN = Duration.ofSeconds(30);

    /** How an attempt at a replica went, for its health. */
    enum Outcome {
        /** It answered (any status below 500): it is up. */
        ANSWERED,
        /** A 5xx, a timeout, a reset: a burst of these takes it out. */
        FAILED,
        /** The connection was refused or could not be made: it is out at once. */
        UNREACHABLE,
        /** The attempt was left unfinished (the run is stopping): it says nothing of the replica. */
        LEFT
    }

    private final List<Replica> replicas;
    /**
     * How many lines may be prepared or sent: as many again as may be in flight, so the next lines'
     * images are fetched while the endpoints work, and no more resolved bodies are held than that.
     */
    private final Semaphore window;

    Pool(Job job) {
        this.replicas = job.endpoints().stream().map(Replica::new).toList();
        this.window = new Semaphore(
                2 * job.endpoints().stream().mapToInt(Job.Endpoint::concurrency).sum());
    }

    /** Whether this pool is still the job's: the same endpoints with the same caps. */
    boolean fits(Job job) {
        if (job.endpoints().size() != replicas.size()) {
            return false;
        }
        for (int i = 0; i < replicas.size(); i++) {
            Job.Endpoint known = replicas.get(i).endpoint;
            Job.Endpoint now = job.endpoints().get(i);
            if (!known.key().equals(now.key())
                    || !known.baseUrl().equals(now.baseUrl())
                    || !known.models().equals(now.models())
                    || known.concurrency() != now.concurrency()) {
                return false;
            }
        }
        return true;
    }

    Semaphore window() {
        return window;
    }

    /** The in-flight limit of the job's endpoint {@code index} in this process. */
    AdaptiveLimit limit(int index) {
        return replicas.get(index).limit;
    }

    /**
     * A chunk of {@code lines} is about to run: its seats at the replicas serving its lines' models,
     * each a share of that replica's capacity (see {@link CapacityLeases}). A replica whose capacity
     * is taken is left out of this chunk.
     *
     * @throws NoCapacity when a model the chunk's lines name has no replica with capacity for it (the
     *         chunk is to run later)
     */
    Seats join(CapacityLeases capacity, Job job, String batchId, List<RequestLine> lines, int chunksAtOnce) {
        int[] served = new int[replicas.size()];
        Map<String, Boolean> models = new LinkedHashMap<>();
        for (RequestLine line : lines) {
            String model = model(line);
            boolean any = false;
            for (int i = 0; i < replicas.size(); i++) {
                if (replicas.get(i).endpoint.serves(model)) {
                    served[i]++;
                    any = true;
                }
            }
            if (any) {
                models.put(model, true);
            }
        }
        Map<Replica, CapacityLeases.Share> shares = new LinkedHashMap<>();
        NoCapacity refused = null;
        try {
            for (int i = 0; i < replicas.size(); i++) {
                if (served[i] == 0) {
                    continue;
                }
                Replica replica = replicas.get(i);
                try {
                    shares.put(replica, capacity.join(replica.endpoint, batchId, served[i], chunksAtOnce));
                } catch (NoCapacity e) {
                    refused = e;
                }
            }
            for (String model : models.keySet()) {
                if (shares.keySet().stream().noneMatch(r -> r.endpoint.serves(model))) {
                    throw refused != null ? refused : new NoCapacity(job.id(), batchId);
                }
            }
        } catch (RuntimeException e) {
            shares.values().forEach(CapacityLeases.Share::close);
            throw e;
        }
        return new Seats(capacity, batchId, served, shares);
    }

    /** The model a line names, or null when it names none (any endpoint serves it). */
    static String model(RequestLine line) {
        return line.body().path("model").isTextual() ? line.body().path("model").textValue() : null;
    }

    /** One endpoint of the pool in this process. */
    static final class Replica {
        final Job.Endpoint endpoint;
        final AdaptiveLimit limit;
        /** Lines that chose it and wait for its permits: counted against its free ones. */
        private final AtomicInteger waiting = new AtomicInteger();

        private final ReentrantLock lock = new ReentrantLock();
        private int failures;
        private boolean out;
        private long outUntil;
        private boolean trial;
        private long coolDown = COOL_DOWN.toNanos();

        private Replica(Job.Endpoint endpoint) {
            this.endpoint = endpoint;
            this.limit = new AdaptiveLimit(endpoint.concurrency());
        }

        /** Whether a line may choose it now: it is in, or its cool-down is over and no trial is out. */
        boolean admits(long now) {
            lock.lock();
            try {
                return !out || (!trial && now - outUntil >= 0);
            } finally {
                lock.unlock();
            }
        }

        boolean isOut() {
            lock.lock();
            try {
                return out;
            } finally {
                lock.unlock();
            }
        }

        /**
         * A line that chose it enters: answers whether it may ({@code anyway} when every replica for its
         * model is out), and makes it the trial when the replica is out.
         */
        private Entry enter(long now, boolean anyway) {
            lock.lock();
            try {
                if (!out || anyway) {
                    return Entry.IN;
                }
                if (trial || now - outUntil < 0) {
                    return Entry.REFUSED;
                }
                trial = true;
                return Entry.TRIAL;
            } finally {
                lock.unlock();
            }
        }

        /** What an attempt here said of its health. */
        void observed(Outcome outcome, boolean wasTrial) {
            lock.lock();
            try {
                if (wasTrial) {
                    trial = false;
                }
                if (outcome == Outcome.LEFT) {
                    return;
                }
                if (outcome == Outcome.ANSWERED) {
                    failures = 0;
                    out = false;
                    coolDown = COOL_DOWN.toNanos();
                    return;
                }
                if (out && !wasTrial) {
                    // Already out: the others in flight when it went out say nothing new.
                    return;
                }
                if (outcome == Outcome.UNREACHABLE || wasTrial || ++failures >= BURST) {
                    out = true;
                    failures = 0;
                    outUntil = System.nanoTime() + coolDown;
                    coolDown = Math.min(2 * coolDown, MAX_COOL_DOWN.toNanos());
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private enum Entry {
        IN,
        TRIAL,
        REFUSED
    }

    /** A chunk run's seats at the pool: its shares of the replicas serving its lines. */
    final class Seats implements AutoCloseable {
        private final CapacityLeases capacity;
        private final String batchId;
        private final Map<Replica, CapacityLeases.Share> shares;
        /** By replica, the chunk's lines it serves that have not ended: what a late join asks for. */
        private final AtomicInteger[] remaining;

        private final ReentrantLock joining = new ReentrantLock();
        private boolean closed;

        private Seats(
                CapacityLeases capacity, String batchId, int[] served, Map<Replica, CapacityLeases.Share> shares) {
            this.capacity = capacity;
            this.batchId = batchId;
            this.shares = new ConcurrentHashMap<>(shares);
            this.remaining = new AtomicInteger[served.length];
            for (int i = 0; i < served.length; i++) {
                remaining[i] = new AtomicInteger(served[i]);
            }
        }

        /**
         * Every replica the chunk has a seat at for {@code model} is out: joins the others that serve
         * it and are in, left out when the chunk started because their capacity was taken, so that
         * its lines have somewhere to go. Such a join is not refused: the chunk takes its fair share
         * as the replica's other holders give it back. Answers whether it joined one.
         */
        private boolean joinOthers(String model) {
            joining.lock();
            try {
                boolean joined = false;
                long now = System.nanoTime();
                for (int i = 0; i < replicas.size() && !closed; i++) {
                    Replica replica = replicas.get(i);
                    if (shares.containsKey(replica)
                            || !replica.endpoint.serves(model)
                            || !replica.admits(now)
                            || remaining[i].get() <= 0) {
                        continue;
                    }
                    shares.put(replica, capacity.joinRunning(replica.endpoint, batchId, remaining[i].get()));
                    joined = true;
                }
                return joined;
            } finally {
                joining.unlock();
            }
        }

        /** The replicas the chunk has a seat at that serve {@code model}, in the job's order. */
        private List<Replica> seated(String model) {
            List<Replica> seated = new ArrayList<>();
            for (Replica replica : replicas) {
                if (shares.containsKey(replica) && replica.endpoint.serves(model)) {
                    seated.add(replica);
                }
            }
            return seated;
        }

        /** Whether some endpoint of the job serves {@code model}. */
        boolean served(String model) {
            return replicas.stream().anyMatch(r -> r.endpoint.serves(model));
        }

        /**
         * A seat at a replica for one attempt of a line naming {@code model}, waiting for one as long as
         * it takes; {@code avoid} (the replica the line's last attempt failed at, or null) is chosen only
         * when no other may be.
         */
        Seat take(String model, Replica avoid) throws InterruptedException {
            while (true) {
                long now = System.nanoTime();
                List<Replica> candidates = seated(model);
                List<Replica> in =
                        candidates.stream().filter(r -> r.admits(now)).toList();
                if (in.isEmpty() && joinOthers(model)) {
                    continue;
                }
                boolean anyway = in.isEmpty();
                List<Replica> choices = new ArrayList<>(anyway ? candidates : in);
                if (avoid != null && choices.size() > 1) {
                    choices.remove(avoid);
                }
                Replica chosen = choices.stream()
                        .max(Comparator.comparingInt(this::room))
                        .orElseThrow();
                Entry entry = chosen.enter(now, anyway);
                if (entry == Entry.REFUSED) {
                    continue;
                }
                CapacityLeases.Share share = shares.get(chosen);
                chosen.waiting.incrementAndGet();
                AdaptiveLimit.Permit permit;
                try {
                    share.acquire();
                    try {
                        permit = chosen.limit.acquire();
                    } catch (InterruptedException e) {
                        share.release();
                        throw e;
                    }
                } catch (InterruptedException e) {
                    chosen.observed(Outcome.LEFT, entry == Entry.TRIAL);
                    throw e;
                } finally {
                    chosen.waiting.decrementAndGet();
                }
                // Gone out while this line waited for it: another replica may take the line, at no attempt's cost.
                if (entry == Entry.IN && !anyway && chosen.isOut() && otherIn(model, chosen)) {
                    permit.release(0);
                    share.release();
                    continue;
                }
                return new Seat(chosen, share, permit, entry == Entry.TRIAL);
            }
        }

        /** Whether a line naming {@code model} has a replica in other than {@code failed}, to go to at once. */
        boolean otherIn(String model, Replica failed) {
            long now = System.nanoTime();
            return seated(model).stream().anyMatch(r -> r != failed && r.admits(now))
                    || (joinOthers(model) && otherIn(model, failed));
        }

        /** The replica's free permits less the lines already waiting for it. */
        private int room(Replica replica) {
            return Math.min(replica.limit.free(), shares.get(replica).free()) - replica.waiting.get();
        }

        /** A line naming {@code model} has ended: the shares serving it want one request less. */
        void ended(String model) {
            for (int i = 0; i < replicas.size(); i++) {
                Replica replica = replicas.get(i);
                if (replica.endpoint.serves(model)) {
                    remaining[i].decrementAndGet();
                    CapacityLeases.Share share = shares.get(replica);
                    if (share != null) {
                        share.ended();
                    }
                }
            }
        }

        @Override
        public void close() {
            joining.lock();
            try {
                closed = true;
                shares.values().forEach(CapacityLeases.Share::close);
            } finally {
                joining.unlock();
            }
        }
    }

    /** Leave to send one attempt to one replica: its share's permit and its limit's. */
    record Seat(Replica replica, CapacityLeases.Share share, AdaptiveLimit.Permit permit, boolean trial) {

        Job.Endpoint endpoint() {
            return replica.endpoint;
        }

        /** Gives the leave back, telling how the attempt went: {@code status} 0 when there was no answer. */
        void release(int status, Outcome outcome) {
            try {
                permit.release(status);
            } finally {
                share.release();
                replica.observed(outcome, trial);
            }
        }
    }
}
