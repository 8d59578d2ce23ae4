package dev.openbatch.core.capacity;

/**
 * A chunk was not started because its job's capacity is taken: its batch's holders already share
 * it, and one more would get less than is worth a worker. The chunk is to be run later, by
 * whichever worker then takes it, while this worker takes another job's chunk.
 */
public final class NoCapacity extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param endpointKey the job's endpoint whose capacity is taken ({@code Job.Endpoint#key}) */
    public NoCapacity(String endpointKey, String batchId) {
        super("endpoint " + endpointKey + " has no capacity to spare for another worker of batch " + batchId);
    }
}
