package dev.openbatch.core.capacity;

/**
 * A chunk was not started because its job's capacity is taken: its batch's holders already share
 * it, and one more would get less than is worth a worker. The chunk is to be run later, by
 * whichever worker then takes it, while this worker takes another job's chunk.
 */
public final class NoCapacity extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public NoCapacity(String jobId, String batchId) {
        super("job " + jobId + " has no capacity to spare for another worker of batch " + batchId);
    }
}
