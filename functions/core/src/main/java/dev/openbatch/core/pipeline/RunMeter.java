package dev.openbatch.core.pipeline;

import dev.openbatch.core.report.Calls;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/** One worker run of a chunk, as its batch's report counts it: when it started, and the AWS requests it made. */
final class RunMeter {

    final String id = UUID.randomUUID().toString();
    final long startedMillis;
    /** The memory of the sandbox it runs in: what its time is billed by. */
    final int memoryMb;

    final AtomicLong s3Reads = new AtomicLong();
    final AtomicLong s3Writes = new AtomicLong();
    final AtomicLong dynamodbReads = new AtomicLong();
    final AtomicLong dynamodbWrites = new AtomicLong();

    RunMeter(long startedMillis, int memoryMb) {
        this.startedMillis = startedMillis;
        this.memoryMb = memoryMb;
    }

    Calls calls() {
        return new Calls(s3Reads.get(), s3Writes.get(), dynamodbReads.get(), dynamodbWrites.get());
    }
}
