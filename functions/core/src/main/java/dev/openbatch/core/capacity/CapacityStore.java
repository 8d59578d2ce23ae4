package dev.openbatch.core.capacity;

/**
 * Where the jobs' {@link Leases} are kept, shared by every sandbox of the worker: a record per job,
 * replaced only over the version it was read at, so two sandboxes leasing at once cannot both take
 * the same permits.
 */
public interface CapacityStore {

    /** The job's record, read consistently; {@link Leases#NONE} for a job never leased. */
    Leases read(String jobId);

    /**
     * Writes {@code next} if the job's record is still at {@code expectedVersion} (0: there is none).
     *
     * @return whether it was written, and the record as it now stands: {@code next}, or what another
     *         sandbox wrote first
     */
    Swap compareAndSet(String jobId, long expectedVersion, Leases next);

    /** The outcome of a {@link #compareAndSet}. */
    record Swap(boolean written, Leases current) {}
}
