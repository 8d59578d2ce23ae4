package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.report.ChunkStats;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * What one line took at the endpoint, measured by the run that ended it and kept with its end in the
 * chunk's checkpoint log, so that it is counted once, with the end that wins.
 *
 * @param model          the {@code model} its request body names, if any
 * @param attempts       how many requests were sent for it (0: the service ended it itself)
 * @param retried        why each attempt that was tried again was: its HTTP status, {@code timeout} or
 *                       {@code connection}
 * @param endpointMillis the endpoint's time over every attempt
 * @param finalMillis    the endpoint's time for the attempt whose answer the line kept; null when none did
 * @param startedMillis  when its first request was sent (its end, when none was), epoch milliseconds
 * @param endedMillis    when it ended, epoch milliseconds
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LineTrace(
        @JsonProperty("model") String model,
        @JsonProperty("attempts") int attempts,
        @JsonProperty("retried") List<String> retried,
        @JsonProperty("endpoint_ms") long endpointMillis,
        @JsonProperty("final_ms") Long finalMillis,
        @JsonProperty("started") long startedMillis,
        @JsonProperty("ended") long endedMillis)
        implements ChunkStats.LineTraceView {

    public LineTrace {
        retried = retried == null ? List.of() : List.copyOf(retried);
    }

    /** Why an attempt was tried again, as the report counts it. */
    static final String TIMEOUT = "timeout";

    static final String CONNECTION = "connection";

    /** Fills in a line's trace as its attempts go; used on the line's own thread only. */
    static final class Recorder {
        private final String model;
        private final Clock clock;
        private final List<String> retried = new ArrayList<>();
        private int attempts;
        private long endpointMillis;
        private long lastMillis;
        private Long finalMillis;
        private long startedMillis = -1;

        Recorder(JsonNode body, Clock clock) {
            JsonNode model = body == null ? null : body.get("model");
            this.model = model != null && model.isTextual() ? model.textValue() : null;
            this.clock = clock;
        }

        /** A request is being sent now. */
        void sending() {
            if (startedMillis < 0) {
                startedMillis = clock.millis();
            }
        }

        /** A request came back (or failed) after {@code nanos} at the endpoint. */
        void answered(long nanos) {
            attempts++;
            lastMillis = nanos / 1_000_000;
            endpointMillis += lastMillis;
        }

        /** The last attempt is tried again, for this reason. */
        void retrying(String reason) {
            retried.add(reason);
        }

        /** The last attempt's answer is the line's. */
        void kept() {
            finalMillis = lastMillis;
        }

        LineTrace ended() {
            long now = clock.millis();
            return new LineTrace(
                    model,
                    attempts,
                    retried,
                    endpointMillis,
                    finalMillis,
                    startedMillis < 0 ? now : startedMillis,
                    now);
        }
    }
}
