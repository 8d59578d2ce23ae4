package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.Json;
import dev.openbatch.core.capacity.CapacityLeases;
import dev.openbatch.core.images.ImageResolver;
import dev.openbatch.core.jobs.Credentials;
import dev.openbatch.core.jobs.Job;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Runs the lines of one chunk against the job's endpoints, each line at a replica that serves the
 * model it names (see {@link Pool}), keeping up to each endpoint's concurrency in flight (one
 * virtual thread per line, permits for the bounds), retrying what is worth retrying, and answers
 * one {@link OutputLine} per line, in the chunk's order. A line naming a model no endpoint of the
 * job serves fails alone, with OpenAI's {@code model_not_found}. A line's images are
 * resolved before it is sent, while earlier lines are at the endpoint; a line whose images cannot
 * be had fails alone.
 */
public final class ChunkRunner {

    /** Asked before each line is sent: a reason not to send it any more (cancelled, expired), if there is one. */
    @FunctionalInterface
    public interface LineGate {
        Optional<OutputLine.Error> refusal();
    }

    private final InferenceClient client;
    private final ImageResolver images;
    /** One pool per job, shared by the chunks this process runs at once: each endpoint sees their sum. */
    private final Map<String, Pool> pools = new ConcurrentHashMap<>();

    private final RetryPolicy retry;
    private final Clock clock;
    private final Credentials credentials;
    /** The job's bound across every sandbox: a request takes a permit of its batch's share too. */
    private final CapacityLeases capacity;

    /** A runner whose jobs' concurrency bounds this process alone. */
    public ChunkRunner(InferenceClient client, ImageResolver images, RetryPolicy retry, Clock clock) {
        this(client, images, retry, clock, Credentials.FIXED, CapacityLeases.inProcess(clock));
    }

    /**
     * A runner that reads a job's credential again when the endpoint refuses it (see {@link Credentials}),
     * and holds each job to its concurrency across every sandbox that shares {@code capacity}.
     */
    public ChunkRunner(
            InferenceClient client,
            ImageResolver images,
            RetryPolicy retry,
            Clock clock,
            Credentials credentials,
            CapacityLeases capacity) {
        this.client = client;
        this.images = images;
        this.retry = retry;
        this.clock = clock;
        this.credentials = credentials;
        this.capacity = capacity;
    }

    /**
     * Runs every line to its end, however long it takes: the answer has one line per line, in order.
     *
     * @throws dev.openbatch.core.capacity.NoCapacity before any line is sent, when the job's capacity is
     *         taken and the chunk is to run later
     */
    public List<OutputLine> run(String batchId, Job job, List<RequestLine> lines, LineGate gate)
            throws InterruptedException {
        OutputLine[] outputs = new OutputLine[lines.size()];
        run(batchId, job, lines, gate, Lifetime.UNBOUNDED, (index, output) -> outputs[index] = output);
        return Arrays.asList(outputs);
    }

    /**
     * Told of each line as it ends, so that what has ended can be kept before the worker stops.
     */
    public interface Progress {

        /** Line {@code index} (of the lines run) has ended; called on that line's own thread. */
        void ended(int index, OutputLine output);

        /** As {@link #ended(int, OutputLine)}, with what the line took at the endpoint. */
        default void ended(int index, OutputLine output, LineTrace trace) {
            ended(index, output);
        }

        /** Called on the running thread after each ending and at least once a second: a moment to checkpoint. */
        default void idle() {}
    }

    /**
     * Runs the lines until each has ended or the lifetime is up: no request starts once it leaves too
     * little time (a retry whose backoff would pass that point waits for the next lifetime), and the
     * requests still at the endpoint when only the time to write is left are left, not ended, and not
     * told to {@code progress}. Answers how many lines ended.
     */
    public int run(
            String batchId, Job job, List<RequestLine> lines, LineGate gate, Lifetime lifetime, Progress progress)
            throws InterruptedException {
        return run(batchId, job, lines, 1, gate, lifetime, progress);
    }

    /**
     * As {@link #run(String, Job, List, LineGate, Lifetime, Progress)}, for lines of a chunk the Map
     * starts with up to {@code chunksAtOnce} of its batch's chunks at once.
     */
    public int run(
            String batchId,
            Job job,
            List<RequestLine> lines,
            int chunksAtOnce,
            LineGate gate,
            Lifetime lifetime,
            Progress progress)
            throws InterruptedException {
        Pool pool = pool(job);
        Semaphore window = pool.window();
        Pool.Seats seats = pool.join(capacity, job, batchId, lines, chunksAtOnce);
        ImageResolver.Chunk chunkImages = images.forChunk();
        BlockingQueue<Ending> endings = new LinkedBlockingQueue<>();
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (int i = 0; i < lines.size(); i++) {
                int index = i;
                RequestLine line = lines.get(i);
                threads.execute(() -> {
                    OutputLine output = null;
                    Throwable failure = null;
                    LineTrace.Recorder trace = new LineTrace.Recorder(line.body(), clock);
                    try {
                        window.acquire();
                        try {
                            output = runLine(batchId, line, gate, chunkImages, seats, lifetime, trace);
                        } finally {
                            seats.ended(Pool.model(line));
                            window.release();
                        }
                        if (output != null) {
                            progress.ended(index, output, trace.ended());
                        }
                    } catch (InterruptedException e) {
                        // Left: the lifetime is up, or the run is being stopped.
                    } catch (Throwable e) {
                        failure = e;
                    }
                    endings.add(new Ending(output, failure));
                });
            }
            int ended = 0;
            for (int waiting = lines.size(); waiting > 0; ) {
                long left = lifetime.untilLeft().toMillis();
                if (left <= 0) {
                    break;
                }
                Ending ending = endings.poll(Math.min(left, 1000), TimeUnit.MILLISECONDS);
                if (ending != null) {
                    waiting--;
                    if (ending.failure() != null) {
                        throw new IllegalStateException(
                                "a line of batch " + batchId + " failed unexpectedly", ending.failure());
                    }
                    ended += ending.output() != null ? 1 : 0;
                }
                progress.idle();
            }
            return ended;
        } finally {
            // Whatever is still out is left: its threads are interrupted, and waited for, so that no line
            // tells of its end after the run has answered.
            threads.shutdownNow();
            threads.close();
            seats.close();
        }
    }

    /** One line's end: its output, none if it was left, or what went wrong. */
    private record Ending(OutputLine output, Throwable failure) {}

    /** The line's end, or null when it is left for the next lifetime. */
    private OutputLine runLine(
            String batchId,
            RequestLine line,
            LineGate gate,
            ImageResolver.Chunk chunkImages,
            Pool.Seats seats,
            Lifetime lifetime,
            LineTrace.Recorder trace)
            throws InterruptedException {
        String id = lineId(batchId, line.position());
        Optional<OutputLine.Error> refused = gate.refusal();
        if (refused.isPresent()) {
            return new OutputLine(id, line.customId(), null, refused.get());
        }
        String model = Pool.model(line);
        if (!seats.served(model)) {
            return new OutputLine(id, line.customId(), modelNotFound(model, requestId(id)), null);
        }
        RequestBody body;
        try {
            body = chunkImages.resolve(line.url(), line.body());
        } catch (ApiException e) {
            return new OutputLine(
                    id,
                    line.customId(),
                    new OutputLine.Response(e.status(), requestId(id), Json.MAPPER.valueToTree(e.envelope())),
                    null);
        }
        SplittableRandom random = new SplittableRandom(id.hashCode());
        Pool.Replica failedAt = null;
        for (int attempt = 1; ; attempt++) {
            Optional<OutputLine.Error> refusal = gate.refusal();
            if (refusal.isPresent()) {
                return new OutputLine(id, line.customId(), null, refusal.get());
            }
            if (!lifetime.maySend()) {
                return null;
            }
            Attempt result = null;
            Pool.Seat seat = seats.take(model, failedAt);
            // A seat may be waited for as long as a request takes: the batch may have been cancelled or
            // reached its window meanwhile, or the lifetime its deadline, and what ends then is not sent.
            refusal = gate.refusal();
            if (refusal.isPresent() || !lifetime.maySend()) {
                seat.release(0, Pool.Outcome.LEFT);
                return refusal.map(error -> new OutputLine(id, line.customId(), null, error))
                        .orElse(null);
            }
            try {
                trace.sending();
                long sent = System.nanoTime();
                try {
                    result = send(seat.endpoint(), line, body, id);
                } finally {
                    trace.answered(System.nanoTime() - sent);
                }
            } finally {
                seat.release(
                        result == null || result.response() == null
                                ? 0
                                : result.response().statusCode(),
                        result == null ? Pool.Outcome.LEFT : result.outcome());
            }
            if (!result.retryable() || attempt >= retry.maxAttempts()) {
                trace.kept();
                return result.line(id, line.customId());
            }
            trace.retrying(result.reason());
            failedAt = seat.replica();
            if (failedAt.isOut() && seats.otherIn(model, failedAt)) {
                // Its replica is out: the next attempt goes to another at once, as the line would have at first.
                continue;
            }
            Duration backoff = retry.backoff(attempt, result.retryAfter(), random);
            if (!lifetime.maySendAfter(backoff)) {
                return null;
            }
            Thread.sleep(backoff);
        }
    }

    /** The job's pool in this process; a job whose endpoints changed starts afresh. */
    private Pool pool(Job job) {
        return pools.compute(job.id(), (id, known) -> known != null && known.fits(job) ? known : new Pool(job));
    }

    /** The in-flight limit of a job's first endpoint in this process. */
    AdaptiveLimit limit(Job job) {
        return pool(job).limit(0);
    }

    /** The outcome of one attempt: an answer to keep, or a failure to try again. */
    private record Attempt(
            OutputLine.Response response,
            OutputLine.Error error,
            boolean retryable,
            Optional<Duration> retryAfter,
            Pool.Outcome outcome) {

        Attempt(
                OutputLine.Response response,
                OutputLine.Error error,
                boolean retryable,
                Optional<Duration> retryAfter) {
            this(
                    response,
                    error,
                    retryable,
                    retryAfter,
                    response != null && response.statusCode() < 500 ? Pool.Outcome.ANSWERED : Pool.Outcome.FAILED);
        }

        OutputLine line(String id, String customId) {
            return new OutputLine(id, customId, response, error);
        }

        /** Why it is tried again: the status it answered, or how the request failed. */
        String reason() {
            if (response != null) {
                return Integer.toString(response.statusCode());
            }
            return error.code().equals("request_timeout") ? LineTrace.TIMEOUT : LineTrace.CONNECTION;
        }
    }

    private Attempt send(Job.Endpoint endpoint, RequestLine line, RequestBody body, String id)
            throws InterruptedException {
        InferenceClient.Answer answer;
        try {
            Job.Endpoint sent = credentials.current(endpoint);
            answer = client.post(sent, line.url(), body);
            if (answer.status() == 401 || answer.status() == 403) {
                // Refused: the credential may have been rotated since it was read. Read once more, send once more.
                Optional<Job.Endpoint> renewed = credentials.renewed(sent);
                if (renewed.isPresent()) {
                    answer = client.post(renewed.get(), line.url(), body);
                }
            }
        } catch (HttpTimeoutException e) {
            return new Attempt(
                    null,
                    new OutputLine.Error("request_timeout", "The inference endpoint did not answer in time."),
                    true,
                    Optional.empty(),
                    e instanceof HttpConnectTimeoutException ? Pool.Outcome.UNREACHABLE : Pool.Outcome.FAILED);
        } catch (IOException e) {
            return new Attempt(
                    null,
                    new OutputLine.Error(
                            "endpoint_unreachable",
                            "The connection to the inference endpoint failed: "
                                    + e.getClass().getSimpleName() + "."),
                    true,
                    Optional.empty(),
                    e instanceof ConnectException ? Pool.Outcome.UNREACHABLE : Pool.Outcome.FAILED);
        }
        String requestId = answer.requestId().orElse(requestId(id));
        JsonNode parsed = parse(answer.body());
        if (parsed == null) {
            // A truncated or non-JSON body is a fault of the endpoint, whatever its status said.
            return new Attempt(
                    new OutputLine.Response(
                            answer.status() < 500 ? 502 : answer.status(),
                            requestId,
                            endpointError("The inference endpoint answered with a body that is not JSON (HTTP "
                                    + answer.status() + ").")),
                    null,
                    true,
                    Optional.empty());
        }
        boolean retryable = RetryPolicy.retryable(answer.status());
        return new Attempt(
                new OutputLine.Response(answer.status(), requestId, parsed),
                null,
                retryable,
                retryable
                        ? RetryPolicy.parseRetryAfter(answer.retryAfter().orElse(null), clock.instant())
                        : Optional.empty());
    }

    private static JsonNode parse(byte[] body) {
        try {
            JsonNode node = Json.MAPPER.readTree(body);
            return node == null || node.isMissingNode() ? null : node;
        } catch (IOException e) {
            return null;
        }
    }

    /** OpenAI's answer to a request naming a model it does not serve, word for word. */
    private static OutputLine.Response modelNotFound(String model, String requestId) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.putObject("error")
                .put("message", "The model `" + model + "` does not exist or you do not have access to it.")
                .put("type", "invalid_request_error")
                .putNull("param")
                .put("code", "model_not_found");
        return new OutputLine.Response(404, requestId, body);
    }

    private static JsonNode endpointError(String message) {
        ObjectNode error = Json.MAPPER.createObjectNode();
        error.putObject("error")
                .put("message", message)
                .put("type", "server_error")
                .putNull("param")
                .putNull("code");
        return error;
    }

    /** The request id a line gets when the endpoint names none, or the service answered it itself. */
    private static String requestId(String lineId) {
        return "req_" + lineId.substring("batch_req_".length());
    }

    /** {@code batch_req_} and 24 hex digits of SHA-256(batch, position): a request always gets the same id. */
    public static String lineId(String batchId, int position) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((batchId + ":" + position).getBytes(StandardCharsets.UTF_8));
            return "batch_req_" + HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
