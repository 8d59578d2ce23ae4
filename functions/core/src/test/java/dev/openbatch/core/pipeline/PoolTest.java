package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.capacity.CapacityLeases;
import dev.openbatch.core.capacity.CapacityStore;
import dev.openbatch.core.capacity.InMemoryCapacityStore;
import dev.openbatch.core.fakes.MutableClock;
import dev.openbatch.core.fakes.StubEndpoint;
import dev.openbatch.core.fakes.TestImageResolvers;
import dev.openbatch.core.jobs.Credentials;
import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A job that is a pool of endpoints: which replica each line goes to, their bounds, and replicas taken out. */
class PoolTest {

    private final StubEndpoint a = new StubEndpoint();
    private final StubEndpoint b = new StubEndpoint();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-02T12:00:00Z"));

    @AfterEach
    void stop() {
        a.close();
        b.close();
    }

    /** A job of the two stubs: {@code a} serving {@code modelsA} with {@code concurrencyA}, the same for b. */
    private Job pool(String modelsA, int concurrencyA, String modelsB, int concurrencyB) {
        return JobCatalog.fromJson(
                        """
                        {"jobs": [{"id": "job-pool", "endpoints": [
                          {"base_url": "%s", "models": %s, "concurrency": %d},
                          {"base_url": "%s", "models": %s, "concurrency": %d}]}]}""".formatted(a.baseUrl(), modelsA, concurrencyA, b.baseUrl(), modelsB, concurrencyB))
                .find("job-pool")
                .orElseThrow();
    }

    private ChunkRunner runner(int maxAttempts) {
        return new ChunkRunner(
                new InferenceClient(Duration.ofSeconds(2), Duration.ofSeconds(5)),
                TestImageResolvers.none(),
                new RetryPolicy(maxAttempts, Duration.ofMillis(1), Duration.ofMillis(5)),
                clock);
    }

    private static List<RequestLine> lines(String... models) {
        List<RequestLine> lines = new ArrayList<>();
        for (int i = 0; i < models.length; i++) {
            lines.add(new RequestLine(
                    i + 1,
                    "r" + i,
                    "/v1/chat/completions",
                    Json.MAPPER.createObjectNode().put("model", models[i])));
        }
        return lines;
    }

    private static String[] times(int n, String model) {
        String[] models = new String[n];
        java.util.Arrays.fill(models, model);
        return models;
    }

    @Test
    void linesNamingTwoModels_goEachToAnEndpointServingIt_andAnUnservedModelFailsAloneWithModelNotFound()
            throws Exception {
        Job job = pool("[\"m\"]", 4, "[\"slow\"]", 4);

        List<OutputLine> outputs = runner(3)
                .run("batch_models", job, lines("m", "slow", "m", "gpt-unknown", "slow", "m"), Optional::empty);

        assertThat(a.requests).as("the lines naming m").hasValue(3);
        assertThat(b.requests).as("the lines naming slow").hasValue(2);
        for (int i : new int[] {0, 1, 2, 4, 5}) {
            assertThat(outputs.get(i).succeeded()).isTrue();
            assertThat(outputs.get(i).response().body().path("model").asText())
                    .isEqualTo(List.of("m", "slow", "m", "gpt-unknown", "slow", "m")
                            .get(i));
        }
        OutputLine unserved = outputs.get(3);
        assertThat(unserved.response().statusCode()).isEqualTo(404);
        JsonNode expected = Json.MAPPER.readTree("""
                {"error": {"message": "The model `gpt-unknown` does not exist or you do not have access to it.",
                           "type": "invalid_request_error", "param": null, "code": "model_not_found"}}""");
        assertThat(unserved.response().body()).isEqualTo(expected);
    }

    @Test
    void replicasServingOneModel_shareItsLines_eachNeverAboveItsOwnConcurrency() throws Exception {
        Job job = pool("[\"slow\"]", 3, "[\"slow\"]", 5);

        List<OutputLine> outputs = runner(3).run("batch_spread", job, lines(times(160, "slow")), Optional::empty);

        assertThat(outputs).allMatch(OutputLine::succeeded);
        assertThat(a.requests.get() + b.requests.get()).isEqualTo(160);
        assertThat(a.maxInFlight.get()).isBetween(1, 3);
        assertThat(b.maxInFlight.get()).isBetween(1, 5);
        assertThat(a.requests.get()).as("a takes its part").isGreaterThan(30);
        assertThat(b.requests.get()).as("b, with more room, takes more").isGreaterThan(a.requests.get());
    }

    @Test
    void anEndpointWithoutModels_servesAnyModel_beside_oneThatNamesItsModels() throws Exception {
        Job job = JobCatalog.fromJson("""
                        {"jobs": [{"id": "job-pool", "endpoints": [
                          {"base_url": "%s", "models": ["slow"], "concurrency": 2},
                          {"base_url": "%s", "concurrency": 2}]}]}""".formatted(a.baseUrl(), b.baseUrl()))
                .find("job-pool")
                .orElseThrow();

        List<OutputLine> outputs = runner(3).run("batch_any", job, lines("m", "m", "other", "m"), Optional::empty);

        assertThat(outputs).allMatch(OutputLine::succeeded);
        assertThat(a.requests).as("a serves slow only").hasValue(0);
        assertThat(b.requests).hasValue(4);
    }

    @Test
    void aReplicaThatFailsEveryRequest_isTakenOutAfterABurst_andItsLinesGoToTheOther_noLineLost() throws Exception {
        Job job = pool("[\"slow\"]", 4, "[\"slow\"]", 4);
        a.failing = 500;

        List<OutputLine> outputs = runner(2).run("batch_failing", job, lines(times(120, "slow")), Optional::empty);

        assertThat(outputs)
                .as("with two attempts, each line failed at most once at a and succeeded at b")
                .allMatch(OutputLine::succeeded);
        assertThat(a.requests.get())
                .as("a burst, the requests in flight with it, and perhaps a trial after the cool-down")
                .isLessThanOrEqualTo(Pool.BURST + 4 + 2);
        assertThat(b.requests.get()).isEqualTo(120);
    }

    @Test
    void aReplicaThatRefusesConnections_isOutAtOnce_andNoLineIsLost() throws Exception {
        Job job = pool("[\"slow\"]", 4, "[\"slow\"]", 4);
        a.close();

        List<OutputLine> outputs = runner(2).run("batch_refused", job, lines(times(60, "slow")), Optional::empty);

        assertThat(outputs).allMatch(OutputLine::succeeded);
        assertThat(b.requests).hasValue(60);
    }

    @Test
    void aReplicaTakenOut_comesBackAfterItsCoolDown_whenItsTrialAnswers() throws Exception {
        Job job = pool("[\"slow\"]", 4, "[\"slow\"]", 4);
        ChunkRunner runner = runner(2);
        a.failing = 500;
        runner.run("batch_first", job, lines(times(40, "slow")), Optional::empty);
        int whileOut = a.requests.get();
        a.failing = 0;

        List<OutputLine> during = runner.run("batch_during", job, lines(times(20, "slow")), Optional::empty);
        assertThat(during).allMatch(OutputLine::succeeded);
        assertThat(a.requests.get()).as("still out, cooling down").isLessThanOrEqualTo(whileOut + 1);

        Thread.sleep(Pool.COOL_DOWN.toMillis() + 200);
        List<OutputLine> after = runner.run("batch_after", job, lines(times(80, "slow")), Optional::empty);

        assertThat(after).allMatch(OutputLine::succeeded);
        assertThat(a.requests.get() - whileOut)
                .as("back in, a takes lines again")
                .isGreaterThan(20);
    }

    @Test
    void aChunkLeftOutOfAReplicaForWantOfCapacity_joinsItWhenItsOwnReplicaGoesOut_andLosesNoLine() throws Exception {
        Job job = pool("[\"slow\"]", 4, "[\"slow\"]", 4);
        CapacityStore store = new InMemoryCapacityStore();
        CapacityLeases.Policy worthFour =
                new CapacityLeases.Policy(Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofMillis(50), 4);
        CapacityLeases other = new CapacityLeases(store, Clock.systemUTC(), worthFour);
        try (CapacityLeases.Share holdsB = other.join(job.endpoints().get(1), "batch_late", 100, 1)) {
            assertThat(holdsB.granted())
                    .as("another sandbox of the batch holds all of b")
                    .isEqualTo(4);
            ChunkRunner sandbox = new ChunkRunner(
                    new InferenceClient(Duration.ofSeconds(2), Duration.ofSeconds(5)),
                    TestImageResolvers.none(),
                    new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5)),
                    clock,
                    Credentials.FIXED,
                    new CapacityLeases(store, Clock.systemUTC(), worthFour));
            a.close();

            List<OutputLine> outputs = sandbox.run("batch_late", job, lines(times(40, "slow")), Optional::empty);

            assertThat(outputs)
                    .as("refused b at its start (half of 4 is less than 4), the chunk had only a; once a was out it"
                            + " joined b, waiting for the share the other holder gave back")
                    .allMatch(OutputLine::succeeded);
            assertThat(b.requests).hasValue(40);
            assertThat(b.maxInFlight.get()).isLessThanOrEqualTo(4);
        }
    }

    @Test
    void whenEveryReplicaForAModelIsOut_itsLinesAreStillTriedUnderTheRetryPolicy_andEndWithTheLastAnswer()
            throws Exception {
        Job job = pool("[\"slow\"]", 2, "[\"slow\"]", 2);
        a.failing = 500;
        b.failing = 500;

        List<OutputLine> outputs = runner(3).run("batch_down", job, lines(times(10, "slow")), Optional::empty);

        assertThat(outputs)
                .hasSize(10)
                .allSatisfy(line -> assertThat(line.response().statusCode()).isEqualTo(500));
        assertThat(a.requests.get() + b.requests.get())
                .as("each line tried its three times, none more")
                .isEqualTo(30);
    }
}
