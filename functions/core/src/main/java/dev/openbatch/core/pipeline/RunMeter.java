package dev.openbatch.core.pipeline;

import dev.openbatch.core.report.Calls;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/** One worker run of a chunk, as its batch's report counts it: when it started, and the AWS requests it made. */
final class RunMeter {

    final String id = UUID.randomUUID().toString();
    final long startedMillis;
    final AtomicLong s3Reads = new AtomicLong();
    final AtomicLong s3Writes = new AtomicLong();
    final AtomicLong dynamodbReads = new AtomicLong();
    final AtomicLong dynamodbWrites = new AtomicLong();

    RunMeter(long startedMillis) {
        this.startedMillis = startedMillis;
    }

    Calls calls() {
        return new Calls(s3Reads.get(), s3Writes.get(), dynamodbReads.get(), dynamodbWrites.get());
    }
}
