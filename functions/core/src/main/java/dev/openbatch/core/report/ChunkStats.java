package dev.openbatch.core.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.api.Batch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a chunk's lines took, in a size that does not grow with them: written once with its part's
 * counts (first writer wins, as the counts), so each line is counted once into its batch's report,
 * and summed over chunks by {@link #plus}. Every part is bounded: fixed histogram buckets, at most
 * {@link #MAX_CODES} error codes with {@link #MAX_EXAMPLES} examples each, {@link #MAX_MODELS} models,
 * a timeline of at most {@link Timeline#MAX_POINTS} points.
 *
 * @param completed     lines in the output
 * @param failed        lines in the errors
 * @param latency       the endpoint's time for each line's kept attempt
 * @param attempts      how many lines took 1, 2, 3… attempts
 * @param retries       attempts tried again, by their status, {@code timeout} or {@code connection}
 * @param errors        the error lines by code, most first
 * @param usage         the completed lines' tokens by the model their requests name, most requests first
 * @param timeline      lines started and ended over time
 * @param gpuMillis     the endpoint's time over every attempt
 * @param firstStarted  when its first request was sent, epoch ms; null when none was
 * @param lastEnded     when its last line ended, epoch ms; null when none has
 * @param runs          how many worker runs ended any of its lines
 * @param workerMillis  those runs' time, each from its start to its last write
 * @param workerGbSeconds those runs' time by their memory, in GB-seconds
 * @param calls         the AWS requests those runs made
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChunkStats(
        @JsonProperty("completed") long completed,
        @JsonProperty("failed") long failed,
        @JsonProperty("latency") LatencyHistogram latency,
        @JsonProperty("attempts") Map<String, Long> attempts,
        @JsonProperty("retries") Map<String, Long> retries,
        @JsonProperty("errors") List<ErrorCount> errors,
        @JsonProperty("usage") List<ModelUsage> usage,
        @JsonProperty("timeline") Timeline timeline,
        @JsonProperty("gpu_ms") long gpuMillis,
        @JsonProperty("first_started_ms") Long firstStarted,
        @JsonProperty("last_ended_ms") Long lastEnded,
        @JsonProperty("runs") long runs,
        @JsonProperty("worker_ms") long workerMillis,
        @JsonProperty("worker_gb_seconds") double workerGbSeconds,
        @JsonProperty("calls") Calls calls) {

    public static final int MAX_CODES = 20;
    public static final int MAX_EXAMPLES = 3;
    public static final int MAX_MODELS = 20;
    private static final int MAX_MESSAGE = 300;
    /** Where codes or models beyond the bound are counted. */
    public static final String OTHER = "other";

    public static final ChunkStats EMPTY = counts(0, 0);

    public ChunkStats {
        latency = latency == null ? LatencyHistogram.EMPTY : latency;
        attempts = attempts == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(attempts));
        retries = retries == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(retries));
        errors = errors == null ? List.of() : List.copyOf(errors);
        usage = usage == null ? List.of() : List.copyOf(usage);
        timeline = timeline == null ? Timeline.EMPTY : timeline;
        calls = calls == null ? Calls.NONE : calls;
    }

    /**
     * Error lines of one code.
     *
     * @param code       {@code response.body.error.code}, or {@code error.code} for a line the service ended
     * @param statusCode the answer's status, or null for a line the service ended
     * @param count      how many lines
     * @param examples   up to {@link #MAX_EXAMPLES} of them
     */
    public record ErrorCount(
            @JsonProperty("code") String code,
            @JsonProperty("status_code") Integer statusCode,
            @JsonProperty("count") long count,
            @JsonProperty("examples") List<Example> examples) {

        public ErrorCount {
            examples = examples == null ? List.of() : List.copyOf(examples);
        }

        boolean sameAs(ErrorCount other) {
            return Objects.equals(code, other.code) && Objects.equals(statusCode, other.statusCode);
        }

        ErrorCount plus(ErrorCount other) {
            List<Example> both = new ArrayList<>(examples);
            other.examples.stream()
                    .limit(Math.max(0, MAX_EXAMPLES - both.size()))
                    .forEach(both::add);
            return new ErrorCount(code, statusCode, count + other.count, both);
        }
    }

    /** One error line: its {@code custom_id} and message. */
    public record Example(
            @JsonProperty("custom_id") String customId,
            @JsonProperty("message") String message) {}

    /** The tokens of the completed lines that named one model. */
    public record ModelUsage(
            @JsonProperty("model") String model,
            @JsonProperty("requests") long requests,
            @JsonProperty("usage") Batch.Usage usage) {

        ModelUsage plus(ModelUsage other) {
            return new ModelUsage(model, requests + other.requests, usage.plus(other.usage));
        }
    }

    /** The stats of a part written before stats were kept: its counts alone. */
    public static ChunkStats counts(long completed, long failed) {
        return new ChunkStats(completed, failed, null, null, null, null, null, null, 0, null, null, 0, 0, 0, null);
    }

    /** The sum of two chunks' (or a chunk's and a batch's) stats, within the same bounds. */
    public ChunkStats plus(ChunkStats other) {
        return new ChunkStats(
                completed + other.completed,
                failed + other.failed,
                latency.plus(other.latency),
                sum(attempts, other.attempts),
                sum(retries, other.retries),
                errors(concat(errors, other.errors)),
                usage(concat(usage, other.usage)),
                timeline.plus(other.timeline),
                gpuMillis + other.gpuMillis,
                min(firstStarted, other.firstStarted),
                max(lastEnded, other.lastEnded),
                runs + other.runs,
                workerMillis + other.workerMillis,
                workerGbSeconds + other.workerGbSeconds,
                calls.plus(other.calls));
    }

    /** Collects a chunk's stats line by line. */
    public static final class Builder {
        private long completed;
        private long failed;
        private LatencyHistogram latency = LatencyHistogram.EMPTY;
        private final Map<String, Long> attempts = new TreeMap<>();
        private final Map<String, Long> retries = new TreeMap<>();
        private final List<ErrorCount> errors = new ArrayList<>();
        private final List<ModelUsage> usage = new ArrayList<>();
        private final Map<Long, Timeline.Point> perSecond = new TreeMap<>();
        private long gpuMillis;
        private Long firstStarted;
        private Long lastEnded;
        private long runs;
        private long workerMillis;
        private double workerGbSeconds;
        private Calls calls = Calls.NONE;

        /**
         * One line's end, as its part holds it, and its trace, if the run that ended it kept one.
         *
         * @param usage the tokens its answer reports (a completed line's)
         */
        public Builder line(boolean output, JsonNode line, Batch.Usage usage, LineTraceView trace) {
            if (output) {
                completed++;
                this.usage.add(
                        new ModelUsage(trace == null || trace.model() == null ? "unknown" : trace.model(), 1, usage));
                if (this.usage.size() > 4 * MAX_MODELS) {
                    compact();
                }
            } else {
                failed++;
                errors.add(errorOf(line));
                if (errors.size() > 4 * MAX_CODES) {
                    compact();
                }
            }
            if (trace == null) {
                return this;
            }
            if (trace.finalMillis() != null) {
                latency = latency.plus(trace.finalMillis());
            }
            if (trace.attempts() > 0) {
                attempts.merge(Integer.toString(trace.attempts()), 1L, Long::sum);
                firstStarted = min(firstStarted, trace.startedMillis());
            }
            trace.retried().forEach(reason -> retries.merge(reason, 1L, Long::sum));
            gpuMillis += trace.endpointMillis();
            lastEnded = max(lastEnded, trace.endedMillis());
            perSecond.merge(
                    Math.floorDiv(trace.startedMillis(), 1000), new Timeline.Point(0, 0, 1), Timeline.Point::plus);
            perSecond.merge(
                    Math.floorDiv(trace.endedMillis(), 1000),
                    new Timeline.Point(output ? 1 : 0, output ? 0 : 1, 0),
                    Timeline.Point::plus);
            return this;
        }

        /** A worker run that ended lines: its time, its memory, and the requests it made. */
        public Builder run(long millis, int memoryMb, Calls calls) {
            runs++;
            workerMillis += Math.max(0, millis);
            workerGbSeconds += Math.max(0, millis) / 1000.0 * memoryMb / 1024.0;
            this.calls = this.calls.plus(calls);
            return this;
        }

        private void compact() {
            List<ErrorCount> e = errors(errors);
            errors.clear();
            errors.addAll(e);
            List<ModelUsage> u = usage(usage);
            usage.clear();
            usage.addAll(u);
        }

        public ChunkStats build() {
            return new ChunkStats(
                    completed,
                    failed,
                    latency,
                    attempts,
                    retries,
                    errors(errors),
                    usage(usage),
                    Timeline.perSecond(perSecond),
                    gpuMillis,
                    firstStarted,
                    lastEnded,
                    runs,
                    workerMillis,
                    workerGbSeconds,
                    calls);
        }
    }

    /** What the stats read of a line's trace. */
    public interface LineTraceView {
        String model();

        int attempts();

        List<String> retried();

        long endpointMillis();

        Long finalMillis();

        long startedMillis();

        long endedMillis();
    }

    /** An error line's code, status and message, as its error file holds it. */
    static ErrorCount errorOf(JsonNode line) {
        JsonNode response = line.path("response");
        JsonNode error = response.isObject() ? response.path("body").path("error") : line.path("error");
        String code = error.path("code").isTextual() ? error.path("code").textValue() : null;
        Integer status = response.path("status_code").isInt()
                ? response.path("status_code").intValue()
                : null;
        String message = error.path("message").asText("");
        if (message.length() > MAX_MESSAGE) {
            message = message.substring(0, MAX_MESSAGE) + "…";
        }
        return new ErrorCount(
                code, status, 1, List.of(new Example(line.path("custom_id").asText(null), message)));
    }

    /** Codes merged, most lines first, at most {@link #MAX_CODES}: the rest in one {@link #OTHER}, last. */
    static List<ErrorCount> errors(List<ErrorCount> all) {
        List<ErrorCount> merged = new ArrayList<>();
        ErrorCount other = null;
        for (ErrorCount error : all) {
            if (OTHER.equals(error.code()) && error.statusCode() == null) {
                other = other == null ? error : other.plus(error);
                continue;
            }
            int at = indexOf(merged, error);
            if (at < 0) {
                merged.add(error);
            } else {
                merged.set(at, merged.get(at).plus(error));
            }
        }
        merged.sort(
                Comparator.comparingLong(ErrorCount::count).reversed().thenComparing(e -> String.valueOf(e.code())));
        int room = other == null && merged.size() <= MAX_CODES ? MAX_CODES : MAX_CODES - 1;
        List<ErrorCount> kept = new ArrayList<>(merged.subList(0, Math.min(room, merged.size())));
        for (ErrorCount rest : merged.subList(kept.size(), merged.size())) {
            other = (other == null ? new ErrorCount(OTHER, null, 0, List.of()) : other).plus(rest);
        }
        if (other != null) {
            kept.add(other);
        }
        return kept;
    }

    private static int indexOf(List<ErrorCount> merged, ErrorCount error) {
        for (int i = 0; i < merged.size(); i++) {
            if (merged.get(i).sameAs(error)) {
                return i;
            }
        }
        return -1;
    }

    /** Models merged, most requests first, at most {@link #MAX_MODELS}: the rest in one {@link #OTHER}, last. */
    static List<ModelUsage> usage(List<ModelUsage> all) {
        Map<String, ModelUsage> merged = new LinkedHashMap<>();
        all.forEach(u -> merged.merge(u.model(), u, ModelUsage::plus));
        ModelUsage other = merged.remove(OTHER);
        List<ModelUsage> sorted = new ArrayList<>(merged.values());
        sorted.sort(Comparator.comparingLong(ModelUsage::requests).reversed().thenComparing(ModelUsage::model));
        int room = other == null && sorted.size() <= MAX_MODELS ? MAX_MODELS : MAX_MODELS - 1;
        List<ModelUsage> kept = new ArrayList<>(sorted.subList(0, Math.min(room, sorted.size())));
        for (ModelUsage rest : sorted.subList(kept.size(), sorted.size())) {
            other = (other == null ? new ModelUsage(OTHER, 0, Batch.Usage.ZERO) : other).plus(rest);
        }
        if (other != null) {
            kept.add(other);
        }
        return kept;
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> both = new ArrayList<>(a);
        both.addAll(b);
        return both;
    }

    private static Map<String, Long> sum(Map<String, Long> a, Map<String, Long> b) {
        Map<String, Long> sum = new TreeMap<>(a);
        b.forEach((k, v) -> sum.merge(k, v, Long::sum));
        return sum;
    }

    private static Long min(Long a, Long b) {
        return a == null ? b : b == null ? a : Long.valueOf(Math.min(a, b));
    }

    private static Long max(Long a, Long b) {
        return a == null ? b : b == null ? a : Long.valueOf(Math.max(a, b));
    }
}
