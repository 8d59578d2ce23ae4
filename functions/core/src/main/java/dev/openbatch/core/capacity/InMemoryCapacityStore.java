package dev.openbatch.core.capacity;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Leases kept in this process: a bound across the chunks one sandbox runs, and no further. */
public final class InMemoryCapacityStore implements CapacityStore {

    private final Map<String, Leases> records = new ConcurrentHashMap<>();

    @Override
    public Leases read(String jobId) {
        return records.getOrDefault(jobId, Leases.NONE);
    }

    @Override
    public Swap compareAndSet(String jobId, long expectedVersion, Leases next) {
        boolean[] written = new boolean[1];
        Leases current = records.compute(jobId, (id, known) -> {
            long version = known == null ? 0 : known.version();
            if (version != expectedVersion) {
                return known;
            }
            written[0] = true;
            return next;
        });
        return new Swap(written[0], current == null ? Leases.NONE : current);
    }
}
