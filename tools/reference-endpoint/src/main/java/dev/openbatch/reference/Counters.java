package dev.openbatch.reference;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The live counters behind {@link Stats}, updated from many request threads at once. */
final class Counters {

    private final LongAdder requests = new LongAdder();
    private final LongAdder answered = new LongAdder();
    private final LongAdder rateLimited = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final Map<String, LongAdder> requestsByPath = new ConcurrentHashMap<>();
    private final Map<Fault, AtomicLong> faults = new ConcurrentHashMap<>();

    /** Counts a request in, and returns how many are now in flight, this one included. */
    int arrived(String path) {
        requests.increment();
        requestsByPath.computeIfAbsent(path, p -> new LongAdder()).increment();
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        return now;
    }

    void left() {
        inFlight.decrementAndGet();
    }

    void answered() {
        answered.increment();
    }

    void rateLimited() {
        rateLimited.increment();
    }

    void injected(Fault fault) {
        faults.computeIfAbsent(fault, f -> new AtomicLong()).incrementAndGet();
    }

    Stats snapshot() {
        Map<String, Long> byPath = new HashMap<>();
        requestsByPath.forEach((path, count) -> byPath.put(path, count.sum()));
        Map<Fault, Long> byFault = new HashMap<>();
        faults.forEach((fault, count) -> byFault.put(fault, count.get()));
        return new Stats(
                requests.sum(), answered.sum(), rateLimited.sum(), inFlight.get(), maxInFlight.get(), byPath, byFault);
    }
}
