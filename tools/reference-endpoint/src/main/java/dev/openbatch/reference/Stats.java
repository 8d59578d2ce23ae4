package dev.openbatch.reference;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@link ReferenceEndpoint} has seen since it started; also served as JSON at {@code GET /stats}.
 * {@code GET /stats} and {@code GET /health} themselves are not counted.
 *
 * @param requests       every request received, whatever became of it
 * @param answered       requests answered 200 with a complete OpenAI answer; a truncated or HTML 200 is a fault,
 *                       not an answer
 * @param rateLimited    requests refused with a 429 because {@link Options#maxConcurrency()} were already in flight
 * @param inFlight       requests received and not yet answered, now
 * @param maxInFlight    the most requests that were in flight at once, refused ones included, so a client that
 *                       overshoots a concurrency limit shows here
 * @param requestsByPath requests received per path, unknown paths included
 * @param faults         faults injected, per kind
 */
public record Stats(
        @JsonProperty("requests") long requests,
        @JsonProperty("answered") long answered,
        @JsonProperty("rate_limited") long rateLimited,
        @JsonProperty("in_flight") int inFlight,
        @JsonProperty("max_in_flight") int maxInFlight,
        @JsonProperty("requests_by_path") Map<String, Long> requestsByPath,
        @JsonProperty("faults") Map<Fault, Long> faults) {

    public Stats {
        requestsByPath = Collections.unmodifiableMap(new TreeMap<>(requestsByPath));
        Map<Fault, Long> byKind = new EnumMap<>(Fault.class);
        byKind.putAll(faults);
        faults = Collections.unmodifiableMap(byKind);
    }

    /** Requests received on one path, 0 for a path never asked for. */
    public long requests(String path) {
        return requestsByPath.getOrDefault(path, 0L);
    }

    /** Faults of one kind injected, 0 if none were. */
    public long faults(Fault fault) {
        return faults.getOrDefault(fault, 0L);
    }
}
