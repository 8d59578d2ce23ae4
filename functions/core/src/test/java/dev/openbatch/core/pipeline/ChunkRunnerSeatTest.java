package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.core.Json;
import dev.openbatch.core.fakes.StubEndpoint;
import dev.openbatch.core.fakes.TestImageResolvers;
import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A line waits for a seat as long as the request holding it takes — on a GPU, seconds or minutes.
 * What the batch's gate and the worker's lifetime say is asked again once the seat is had: a batch
 * cancelled or past its window meanwhile, or a worker past its deadline, sends nothing more.
 */
class ChunkRunnerSeatTest {

    private static final OutputLine.Error CANCELLED =
            new OutputLine.Error("batch_cancelled", "This request was not executed because the batch was cancelled.");

    private final ChunkRunner runner = new ChunkRunner(
            new InferenceClient(Duration.ofSeconds(2), Duration.ofSeconds(10)),
            TestImageResolvers.none(),
            new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(20)),
            Clock.systemUTC());

    @Test
    void aLineThatWaitedForASeat_whileItsBatchWasCancelled_endsCancelled_unsent() throws Exception {
        try (StubEndpoint endpoint = new StubEndpoint()) {
            AtomicReference<Optional<OutputLine.Error>> gate = new AtomicReference<>(Optional.empty());
            OutputLine[] outputs = new OutputLine[2];

            CompletableFuture<Void> run = runInBackground(
                    endpoint, gate::get, Lifetime.UNBOUNDED, (index, output) -> outputs[index] = output);
            awaitOneHeldAndTheOtherWaiting(endpoint);
            gate.set(Optional.of(CANCELLED));
            endpoint.release.countDown();
            run.get(20, TimeUnit.SECONDS);

            assertThat(endpoint.requests.get())
                    .as("requests the endpoint received")
                    .isEqualTo(1);
            assertThat(Arrays.stream(outputs).filter(OutputLine::succeeded)).hasSize(1);
            assertThat(Arrays.stream(outputs).filter(o -> !o.succeeded()).map(OutputLine::error))
                    .containsExactly(CANCELLED);
        }
    }

    @Test
    void aLineThatWaitedForASeat_pastItsWorkersDeadline_isLeftForTheNextLifetime_unsent() throws Exception {
        try (StubEndpoint endpoint = new StubEndpoint()) {
            // Sending stops 10 s before the end; the lines in flight may run to the end.
            AtomicReference<Duration> remaining = new AtomicReference<>(Duration.ofHours(1));
            Lifetime lifetime =
                    new Lifetime(remaining::get, new Lifetime.Margins(Duration.ZERO, Duration.ofSeconds(10)));
            OutputLine[] outputs = new OutputLine[2];

            CompletableFuture<Void> run =
                    runInBackground(endpoint, Optional::empty, lifetime, (index, output) -> outputs[index] = output);
            awaitOneHeldAndTheOtherWaiting(endpoint);
            remaining.set(Duration.ofSeconds(5));
            endpoint.release.countDown();
            run.get(20, TimeUnit.SECONDS);

            assertThat(endpoint.requests.get())
                    .as("requests the endpoint received")
                    .isEqualTo(1);
            assertThat(Arrays.stream(outputs).filter(o -> o != null && o.succeeded()))
                    .hasSize(1);
            assertThat(Arrays.stream(outputs).filter(o -> o == null))
                    .as("lines left")
                    .hasSize(1);
        }
    }

    /** Two lines the endpoint holds until released, on a job of concurrency 1: one sent, one waiting for its seat. */
    private CompletableFuture<Void> runInBackground(
            StubEndpoint endpoint, ChunkRunner.LineGate gate, Lifetime lifetime, ChunkRunner.Progress progress)
            throws Exception {
        Job job = JobCatalog.fromJson("{\"jobs\":[{\"id\":\"job-one\",\"base_url\":\"" + endpoint.baseUrl()
                        + "\",\"concurrency\":1}]}")
                .find("job-one")
                .orElseThrow();
        List<RequestLine> lines = List.of(
                new RequestLine(1, "first", "/v1/chat/completions", Json.MAPPER.readTree("{\"model\":\"held\"}")),
                new RequestLine(2, "second", "/v1/chat/completions", Json.MAPPER.readTree("{\"model\":\"held\"}")));
        return CompletableFuture.runAsync(() -> {
            try {
                runner.run("batch_seat", job, lines, gate, lifetime, progress);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static void awaitOneHeldAndTheOtherWaiting(StubEndpoint endpoint) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (endpoint.held.get() < 1) {
            assertThat(System.nanoTime()).as("a line reached the endpoint").isLessThan(deadline);
            Thread.sleep(5);
        }
        // The other line passed the gate when it started and now waits for the one seat; given time
        // to get there, so that it is the second asking that refuses it (if late, this passes anyway).
        Thread.sleep(300);
    }
}
