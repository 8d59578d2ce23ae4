package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.core.Json;
import dev.openbatch.core.fakes.StubEndpoint;
import dev.openbatch.core.fakes.TestImageResolvers;
import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the worker measures of each line, as its batch's report counts it: attempts, why each was retried, its time. */
class LineTraceTest {

    private final StubEndpoint endpoint = new StubEndpoint();

    @AfterEach
    void stop() {
        endpoint.close();
    }

    private static Job job(String baseUrl) {
        return JobCatalog.fromJson("{\"jobs\":[{\"id\":\"job-t\",\"base_url\":\"" + baseUrl + "\",\"concurrency\":2}]}")
                .find("job-t")
                .orElseThrow();
    }

    private static Map<String, LineTrace> run(Job job, String... models) throws Exception {
        return run(job, Duration.ofSeconds(5), models);
    }

    private static Map<String, LineTrace> run(Job job, Duration requestTimeout, String... models) throws Exception {
        ChunkRunner runner = new ChunkRunner(
                new InferenceClient(Duration.ofSeconds(2), requestTimeout),
                TestImageResolvers.none(),
                new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5)),
                Clock.systemUTC());
        List<RequestLine> lines = new java.util.ArrayList<>();
        for (int i = 0; i < models.length; i++) {
            lines.add(new RequestLine(
                    i + 1,
                    models[i],
                    "/v1/chat/completions",
                    Json.MAPPER.readTree("{\"model\":\"" + models[i] + "\",\"metadata\":{\"id\":\"" + i + "\"}}")));
        }
        Map<String, LineTrace> traces = new ConcurrentHashMap<>();
        runner.run("batch_t", job, lines, Optional::empty, Lifetime.UNBOUNDED, new ChunkRunner.Progress() {
            @Override
            public void ended(int index, OutputLine output) {
                throw new AssertionError("the runner tells each line's trace");
            }

            @Override
            public void ended(int index, OutputLine output, LineTrace trace) {
                traces.put(output.customId(), trace);
            }
        });
        return traces;
    }

    @Test
    void aLineAnswered503Twice_thenAnswered_tookThreeAttempts_retriedFor503_keepingTheLastsTime() throws Exception {
        long before = System.currentTimeMillis();

        Map<String, LineTrace> traces = run(job(endpoint.baseUrl().toString()), "flaky-2", "m");

        LineTrace flaky = traces.get("flaky-2");
        assertThat(flaky.model()).isEqualTo("flaky-2");
        assertThat(flaky.attempts()).isEqualTo(3);
        assertThat(flaky.retried()).containsExactly("503", "503");
        assertThat(flaky.finalMillis()).isNotNull().isLessThanOrEqualTo(flaky.endpointMillis());
        assertThat(flaky.startedMillis()).isBetween(before, flaky.endedMillis());
        LineTrace once = traces.get("m");
        assertThat(once.attempts()).isOne();
        assertThat(once.retried()).isEmpty();
        assertThat(once.finalMillis()).isEqualTo(once.endpointMillis());
    }

    @Test
    void aLineWhoseEndpointRefusesConnections_isRetriedForConnection_andItsLastAttemptKept() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }

        LineTrace trace = run(job("http://127.0.0.1:" + closed + "/v1"), "m").get("m");

        assertThat(trace.attempts()).isEqualTo(3);
        assertThat(trace.retried()).containsExactly("connection", "connection");
        assertThat(trace.finalMillis())
                .as("the line kept its last attempt's failure")
                .isNotNull();
    }

    @Test
    void aLineTheEndpointAnswersTooLate_isRetriedForTimeout_andItsTimeAtTheEndpointCounted() throws Exception {
        LineTrace trace = run(job(endpoint.baseUrl().toString()), Duration.ofMillis(5), "slow")
                .get("slow");

        assertThat(trace.attempts()).isEqualTo(3);
        assertThat(trace.retried()).containsExactly("timeout", "timeout");
        assertThat(trace.endpointMillis())
                .as("three waits of at least the timeout")
                .isGreaterThanOrEqualTo(15);
    }
}
