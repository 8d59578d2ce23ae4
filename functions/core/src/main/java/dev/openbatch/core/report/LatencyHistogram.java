package dev.openbatch.core.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Latencies in fixed, log-spaced buckets — bucket {@code i} holds what took up to
 * {@code 2^(i/4)} ms, about 19% wider than the one before, up to about 12 days — so that the
 * histograms of any chunks add up bucket by bucket and a percentile of their sum is within a bucket's
 * width of the exact one, in a size that does not grow with the lines counted.
 *
 * @param buckets the count of each bucket that has any, by bucket
 * @param count   how many latencies
 * @param maxMs   the largest
 */
public record LatencyHistogram(
        @JsonProperty("buckets") Map<Integer, Long> buckets,
        @JsonProperty("count") long count,
        @JsonProperty("max_ms") long maxMs) {

    /** Buckets per doubling. */
    private static final int PER_DOUBLING = 4;

    static final int BUCKETS = 120;

    public static final LatencyHistogram EMPTY = new LatencyHistogram(Map.of(), 0, 0);

    public LatencyHistogram {
        buckets = buckets == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(buckets));
    }

    /** The bucket of a latency: the first whose upper bound is at least it. */
    static int bucket(long millis) {
        int i = 0;
        while (i < BUCKETS - 1 && upperBound(i) < millis) {
            i++;
        }
        return i;
    }

    /** The largest latency bucket {@code i} holds, in milliseconds. */
    static long upperBound(int i) {
        return (long) Math.ceil(Math.pow(2, i / (double) PER_DOUBLING));
    }

    public LatencyHistogram plus(long millis) {
        TreeMap<Integer, Long> sum = new TreeMap<>(buckets);
        sum.merge(bucket(millis), 1L, Long::sum);
        return new LatencyHistogram(sum, count + 1, Math.max(maxMs, millis));
    }

    public LatencyHistogram plus(LatencyHistogram other) {
        TreeMap<Integer, Long> sum = new TreeMap<>(buckets);
        other.buckets.forEach((bucket, n) -> sum.merge(bucket, n, Long::sum));
        return new LatencyHistogram(sum, count + other.count, Math.max(maxMs, other.maxMs));
    }

    /**
     * The latency at or under which a {@code fraction} of them are: the upper bound of the bucket that
     * holds it, never more than the largest; 0 when there are none.
     */
    public long percentile(double fraction) {
        if (count == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(fraction * count));
        long seen = 0;
        for (Map.Entry<Integer, Long> bucket : new TreeMap<>(buckets).entrySet()) {
            seen += bucket.getValue();
            if (seen >= rank) {
                return Math.min(upperBound(bucket.getKey()), maxMs);
            }
        }
        return maxMs;
    }
}
