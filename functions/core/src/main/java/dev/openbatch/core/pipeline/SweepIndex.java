package dev.openbatch.core.pipeline;

import dev.openbatch.core.api.Batch;
import java.util.List;

/**
 * The batches that may be stuck, for the {@link Sweep}: every batch that has not ended, by its
 * status and the time the sweeper last had reason to look at it. The batch records keep it
 * themselves: a batch enters it when it is created, moves within it with each change of status
 * (its time becomes the time of that change), and leaves it when it ends. Only the sweeper
 * {@linkplain #mark marks} it otherwise.
 */
public interface SweepIndex {

    /**
     * A batch as the sweeper finds it.
     *
     * @param tenant its owner
     * @param batch  the record
     * @param since  when it entered its status, or when the sweeper last marked it
     * @param seen   its lines ended ({@code completed + failed}) when the sweeper last marked it; 0 before
     * @param run    which run of the batch is current: 0 is the one its creation started, each
     *               further one the sweeper started
     * @param stalls how many times in a row the sweeper found it stalled (no line ended for the stall bound)
     */
    record Entry(String tenant, Batch batch, long since, long seen, int run, int stalls) {}

    /**
     * What the sweeper records on a batch it has acted on.
     *
     * @param since     the new {@link Entry#since}
     * @param seen      the new {@link Entry#seen}
     * @param run       the new {@link Entry#run}
     * @param stalls    the new {@link Entry#stalls}
     * @param expiresAt when not null, the batch's {@code expires_at} becomes this: its lines not yet
     *                  run end as {@code batch_expired}
     */
    record Mark(long since, long seen, int run, int stalls, Long expiresAt) {}

    /** Batches in {@code status} whose {@link Entry#since} is at or before {@code sinceAtMost}, oldest first. */
    List<Entry> due(String status, long sinceAtMost, int limit);

    /**
     * Records {@code mark} on the entry's batch if nothing changed it since it was found: the same
     * status, time and run. Of two sweepers acting on one entry, one marks it and acts; the other is
     * answered false and leaves it.
     */
    boolean mark(Entry entry, Mark mark);
}
