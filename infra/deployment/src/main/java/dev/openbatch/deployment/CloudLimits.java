package dev.openbatch.deployment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.pipeline.Chunk;
import dev.openbatch.core.pipeline.InputValidator;
import dev.openbatch.core.pipeline.PartCounts;
import dev.openbatch.core.pipeline.RetryPolicy;
import dev.openbatch.core.pipeline.ValidateBatch;
import dev.openbatch.core.webhooks.RetrySchedule;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cloud's limits a deployment must keep for the largest input the service accepts (50,000
 * requests, 200 MB), worked out from the configuration and {@code statemachine/batch.asl.json}: a
 * configuration that could break one is refused when it is read, by both wirings, with a message
 * that names the setting and the bound. None of these limits can be caught once a batch runs into
 * it: Step Functions stops the execution, Lambda stops the worker.
 *
 * <p>{@code docs/configuration.md} gives the arithmetic; the constants below are its terms.
 */
public final class CloudLimits {

    /** The largest input the service accepts ({@link InputValidator.Limits#OPENAI}). */
    public static final int MAX_REQUESTS = InputValidator.Limits.OPENAI.maxRequests();

    public static final long MAX_BYTES = InputValidator.Limits.OPENAI.maxBytes();
    /** A chunk is also cut short at this many bytes, so large lines make more chunks than their count says. */
    public static final int CHUNK_BYTES = InputValidator.Limits.CHUNK_BYTES;

    /** Step Functions: a state's input or output, a task's result, at most 256 KiB as UTF-8. */
    public static final int STATE_BYTES = 256 * 1024;
    /** Step Functions Standard: an execution's history stops at 25,000 events, and the execution with it. */
    public static final int HISTORY_EVENTS = 25_000;
    /**
     * The share of the history this check lets a batch use: room for what the count below leaves
     * out (a throttled {@code SendMessage}'s {@code TaskSubmitFailed}, a redriven execution).
     */
    public static final double HISTORY_SHARE = 0.9;
    /** An inline Map runs at most 40 iterations at once, whatever its {@code MaxConcurrency} says. */
    public static final int INLINE_MAP_CONCURRENCY = 40;
    /** What a {@code Catch} with a {@code ResultPath} adds to the state: an error name and a cause, at their longest. */
    static final int CAUGHT_ERROR_BYTES = 256 + 32_768 + 64;
    /** The execution's input and what the state carries beside the chunks: a batch id and a tenant. */
    static final int EXECUTION_INPUT_BYTES = 1024;
    /** What {@code lambda:invoke} wraps a function's answer in (status code, headers, request id). */
    static final int LAMBDA_RESULT_ENVELOPE_BYTES = 2048;

    /** Lambda stops a function at its timeout, 900 s at most. */
    public static final int LAMBDA_TIMEOUT_SECONDS = 900;
    /** Attempts of one request to the endpoint, the first included, and the longest wait between two. */
    public static final int REQUEST_ATTEMPTS = RetryPolicy.DEFAULT.maxAttempts();

    public static final Duration REQUEST_MAX_BACKOFF = RetryPolicy.DEFAULT.maxDelay();
    /** The worker's connect timeout to the endpoint ({@code Wiring}), spent before each attempt's request timeout. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** The worker's last minute: its parts written, its chunk reported, before Lambda stops it. */
    public static final Duration WORKER_STOP_MARGIN = Duration.ofSeconds(60);

    /** The chunk queue hides a received message for six times the worker's timeout, as AWS advises for event sources. */
    public static final int VISIBILITY_PER_WORKER_TIMEOUT = 6;
    /** SQS hides a message for 12 hours at most. */
    public static final int MAX_VISIBILITY_SECONDS = 12 * 3600;
    /** The chunk queue keeps a message 14 days, SQS's longest. */
    public static final int RETENTION_SECONDS = 14 * 24 * 3600;
    /** A chunk message received this many times goes to the dead-letter queue. */
    public static final int MAX_RECEIVES = 5;
    /**
     * The webhook queue's receive limit: twice the tries a delivery makes on the deployed schedule in
     * its 72 hours, so a sender that fails now and then (not the receiver) does not end a delivery early.
     */
    public static final int WEBHOOK_MAX_RECEIVES = 2 * webhookTries(RetrySchedule.DEFAULT);

    private static final JsonNode DEFINITION = definition();

    private CloudLimits() {}

    /** Refuses a chunk size and a Map concurrency that could break Step Functions' limits. */
    public static void checkPipeline(int chunkLines, int mapConcurrency) {
        if (mapConcurrency > INLINE_MAP_CONCURRENCY) {
            throw new IllegalArgumentException(
                    "map_concurrency " + mapConcurrency + " is more than an inline Map runs: "
                            + "Step Functions runs at most " + INLINE_MAP_CONCURRENCY
                            + " iterations at once: map_concurrency must be at most "
                            + INLINE_MAP_CONCURRENCY);
        }
        int chunks = chunks(chunkLines);
        long events = historyEvents(chunks);
        if (events > historyBudget()) {
            throw new IllegalArgumentException(String.format(
                    "chunk_lines %d would cut %,d lines into up to %,d chunks,"
                            + " whose execution needs about %,d history events; Step Functions stops an execution at %,d"
                            + " (this check keeps %d%% of it, %,d): chunk_lines must be at least %d",
                    chunkLines,
                    MAX_REQUESTS,
                    chunks,
                    events,
                    HISTORY_EVENTS,
                    Math.round(HISTORY_SHARE * 100),
                    historyBudget(),
                    minChunkLinesForHistory()));
        }
        long bytes = stateBytes(chunkLines, mapConcurrency);
        if (bytes > STATE_BYTES) {
            throw new IllegalArgumentException(String.format(
                    "chunk_lines %d would cut %,d lines into up to %,d chunks,"
                            + " whose list makes a state of up to %,d bytes; Step Functions stops an execution whose"
                            + " state passes %,d: chunk_lines must be at least %d",
                    chunkLines, MAX_REQUESTS, chunks, bytes, STATE_BYTES, minChunkLinesForState(mapConcurrency)));
        }
    }

    /** Refuses a worker whose requests, retried, could outlive it, and a queue that could hand its chunk to another. */
    public static void checkWorker(int timeoutSeconds, int requestTimeoutSeconds) {
        long needed = requestSequenceSeconds(requestTimeoutSeconds);
        if (needed > timeoutSeconds) {
            throw new IllegalArgumentException(String.format(
                    "worker.request_timeout_seconds %d does not fit in"
                            + " worker.timeout_seconds %d: %d attempts of %d s (+ %d s to connect), %d waits of up to"
                            + " %d s between them and %d s to report take %d s, and Lambda stops the worker at its"
                            + " timeout: %s",
                    requestTimeoutSeconds,
                    timeoutSeconds,
                    REQUEST_ATTEMPTS,
                    requestTimeoutSeconds,
                    CONNECT_TIMEOUT.toSeconds(),
                    REQUEST_ATTEMPTS - 1,
                    REQUEST_MAX_BACKOFF.toSeconds(),
                    WORKER_STOP_MARGIN.toSeconds(),
                    needed,
                    longestRequestTimeout(timeoutSeconds) >= 1
                            ? "worker.request_timeout_seconds must be at most " + longestRequestTimeout(timeoutSeconds)
                            : "worker.timeout_seconds must be at least " + requestSequenceSeconds(1)));
        }
        long visibility = chunkVisibilitySeconds(timeoutSeconds);
        if (visibility > MAX_VISIBILITY_SECONDS || MAX_RECEIVES * visibility > RETENTION_SECONDS) {
            throw new IllegalArgumentException("worker.timeout_seconds " + timeoutSeconds + " makes the chunk queue's"
                    + " visibility timeout " + visibility + " s; SQS allows " + MAX_VISIBILITY_SECONDS + " s, and "
                    + MAX_RECEIVES + " receives must fit in its retention of " + RETENTION_SECONDS + " s");
        }
    }

    /** How many tries a delivery that never gets a 2xx makes on {@code schedule} before it is given up. */
    public static int webhookTries(RetrySchedule schedule) {
        long waited = 0;
        int tries = 1;
        while (waited < schedule.period().toSeconds()) {
            waited += schedule.after(tries).toSeconds();
            tries++;
        }
        return tries;
    }

    /** The most chunks an accepted input can make: full chunks, those cut short by bytes, and the last. */
    public static int chunks(int chunkLines) {
        // A chunk cut short by bytes and the line that did not fit in it hold more than CHUNK_BYTES
        // together, and each byte of the input is counted at most twice so: fewer than 2 x 200 MB / 8 MiB.
        return MAX_REQUESTS / chunkLines + (int) (2 * MAX_BYTES / CHUNK_BYTES) + 1;
    }

    /** The events the definition's execution writes at most over {@code chunks} chunks. */
    public static long historyEvents(int chunks) {
        return historyEvents(DEFINITION, chunks);
    }

    static long historyEvents(JsonNode definition, int chunks) {
        // ExecutionStarted, ExecutionSucceeded or ExecutionFailed.
        return 2 + events(definition.path("States"), chunks, false);
    }

    public static long historyBudget() {
        return (long) Math.floor(HISTORY_EVENTS * HISTORY_SHARE);
    }

    /**
     * The largest state a batch can make: the execution's input beside the Validate result (its
     * chunk list) and a caught error, as the Map and MarkFailed receive it; or Validate's result in
     * its Lambda envelope; or the Map's gathered results, whichever is largest.
     */
    public static long stateBytes(int chunkLines, int mapConcurrency) {
        int chunks = chunks(chunkLines);
        long outcome = bytes(new ValidateBatch.Outcome(
                        true,
                        List.of(),
                        chunks,
                        mapConcurrency,
                        Math.min(mapConcurrency, chunks),
                        ValidateBatch.UNLIMITED_CHUNK_WAIT_SECONDS))
                - 2
                + list(chunks, bytes(new Chunk(chunks - 1, MAX_REQUESTS, chunkLines)));
        long mapState = EXECUTION_INPUT_BYTES + outcome + CAUGHT_ERROR_BYTES;
        long validateResult = LAMBDA_RESULT_ENVELOPE_BYTES + outcome;
        long mapResults = list(chunks, bytes(new PartCounts(chunkLines, chunkLines, chunkLines)));
        return Math.max(mapState, Math.max(validateResult, mapResults));
    }

    public static int minChunkLinesForHistory() {
        return smallest(c -> historyEvents(chunks(c)) <= historyBudget());
    }

    public static int minChunkLinesForState(int mapConcurrency) {
        return smallest(c -> stateBytes(c, mapConcurrency) <= STATE_BYTES);
    }

    /** Attempts, waits and the stop margin of one request whose every attempt times out. */
    public static long requestSequenceSeconds(int requestTimeoutSeconds) {
        return REQUEST_ATTEMPTS * (CONNECT_TIMEOUT.toSeconds() + requestTimeoutSeconds)
                + (REQUEST_ATTEMPTS - 1) * REQUEST_MAX_BACKOFF.toSeconds()
                + WORKER_STOP_MARGIN.toSeconds();
    }

    /** The longest request timeout whose attempts fit in a worker of this timeout (105 s at 900 s). */
    public static int longestRequestTimeout(int workerTimeoutSeconds) {
        long spare = workerTimeoutSeconds
                - WORKER_STOP_MARGIN.toSeconds()
                - (REQUEST_ATTEMPTS - 1) * REQUEST_MAX_BACKOFF.toSeconds();
        return (int) Math.floorDiv(spare, REQUEST_ATTEMPTS) - (int) CONNECT_TIMEOUT.toSeconds();
    }

    public static int chunkVisibilitySeconds(int workerTimeoutSeconds) {
        return VISIBILITY_PER_WORKER_TIMEOUT * workerTimeoutSeconds;
    }

    private interface Fits {
        boolean at(int chunkLines);
    }

    /** The smallest chunk size that fits: the fit only improves as chunks grow. */
    private static int smallest(Fits fits) {
        int low = 1;
        int high = MAX_REQUESTS;
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (fits.at(mid)) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        return low;
    }

    private static long bytes(Object value) {
        return Json.write(value).length;
    }

    private static long list(int items, long itemBytes) {
        return 2 + items * itemBytes + Math.max(0, items - 1);
    }

    /**
     * The events of a set of states, each run at most once (the definition has no loop), the Map's
     * iterations over {@code chunks} items, as a Standard workflow's history records them.
     */
    private static long events(JsonNode states, int chunks, boolean inMap) {
        requireNoLoop(states);
        long events = 0;
        for (Map.Entry<String, JsonNode> entry : states.properties()) {
            JsonNode state = entry.getValue();
            events += switch (state.path("Type").asText()) {
                // TaskStateEntered, TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded, TaskStateExited;
                // each retry adds TaskFailed (or TaskTimedOut), TaskScheduled, TaskStarted, TaskSubmitted.
                case "Task" -> 6 + 4L * retries(state);
                case "Choice", "Pass", "Wait", "Succeed" -> 2;
                case "Fail" -> 1;
                case "Map" -> {
                    if (inMap) {
                        throw new IllegalStateException(
                                "state " + entry.getKey() + ": a Map in a Map has no bound here");
                    }
                    // MapStateEntered, MapStateStarted, MapStateSucceeded, MapStateExited; and for each
                    // item MapIterationStarted, MapIterationSucceeded and its iteration's own states.
                    JsonNode iteration =
                            state.has("ItemProcessor") ? state.path("ItemProcessor") : state.path("Iterator");
                    yield 4 + (long) chunks * (2 + events(iteration.path("States"), chunks, true));
                }
                default ->
                    throw new IllegalStateException("state " + entry.getKey() + ": type "
                            + state.path("Type").asText() + " is not counted");
            };
        }
        return events;
    }

    /** A retrier's MaxAttempts (3 when absent), summed: each one counts on its own. */
    private static long retries(JsonNode state) {
        long retries = 0;
        for (JsonNode retrier : state.path("Retry")) {
            retries += retrier.path("MaxAttempts").asInt(3);
        }
        return retries;
    }

    private static void requireNoLoop(JsonNode states) {
        Set<String> done = new HashSet<>();
        for (Map.Entry<String, JsonNode> state : states.properties()) {
            visit(states, state.getKey(), new HashSet<>(), done);
        }
    }

    private static void visit(JsonNode states, String name, Set<String> path, Set<String> done) {
        if (done.contains(name)) {
            return;
        }
        if (!path.add(name)) {
            throw new IllegalStateException("statemachine/batch.asl.json loops through " + name
                    + ": its history has no bound this check can count");
        }
        JsonNode state = states.path(name);
        for (String next : List.of("Next", "Default")) {
            if (state.hasNonNull(next)) {
                visit(states, state.get(next).asText(), path, done);
            }
        }
        for (String branches : List.of("Choices", "Catch")) {
            for (JsonNode branch : state.path(branches)) {
                if (branch.hasNonNull("Next")) {
                    visit(states, branch.get("Next").asText(), path, done);
                }
            }
        }
        path.remove(name);
        done.add(name);
    }

    private static JsonNode definition() {
        try (InputStream in = CloudLimits.class.getResourceAsStream("/statemachine/batch.asl.json")) {
            if (in == null) {
                throw new IllegalStateException("statemachine/batch.asl.json is not on the class path");
            }
            return Json.MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
