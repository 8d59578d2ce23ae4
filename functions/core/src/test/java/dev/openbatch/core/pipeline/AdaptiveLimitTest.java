package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.core.Json;
import dev.openbatch.core.fakes.StubEndpoint;
import dev.openbatch.core.fakes.TestImageResolvers;
import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AdaptiveLimitTest {

    @Test
    void theLimit_startsAtTheCap_shrinksOnOverload_andGrowsBackByOneARoundTrip_onlyWhileHalfUsed() throws Exception {
        AdaptiveLimit limit = new AdaptiveLimit(100);
        assertThat(limit.limit()).isEqualTo(100);

        limit.acquire().release(429);
        assertThat(limit.limit()).isEqualTo(90);
        limit.acquire().release(503);
        assertThat(limit.limit()).isEqualTo(81);
        limit.acquire().release(500);
        assertThat(limit.limit()).as("other failures say nothing of capacity").isEqualTo(81);

        for (int i = 0; i < 82; i++) {
            limit.acquire().release(200);
        }
        assertThat(limit.limit())
                .as("a limit barely used says nothing of what the endpoint takes")
                .isEqualTo(81);

        List<AdaptiveLimit.Permit> halfUsed = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            halfUsed.add(limit.acquire());
        }
        for (int i = 0; i < 82; i++) {
            limit.acquire().release(200);
        }
        assertThat(limit.limit())
                .as("about a limit's worth of successes adds one")
                .isEqualTo(82);
        for (int i = 0; i < 10_000; i++) {
            limit.acquire().release(200);
        }
        assertThat(limit.limit()).as("never above the cap").isEqualTo(100);
        halfUsed.forEach(p -> p.release(0));
    }

    @Test
    void aBurstOfRefusals_underTheSameLimit_cutsItOnce_andItNeverFallsBelowOne() throws Exception {
        AdaptiveLimit limit = new AdaptiveLimit(20);
        List<AdaptiveLimit.Permit> burst = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            burst.add(limit.acquire());
        }
        burst.forEach(p -> p.release(429));
        assertThat(limit.limit()).isEqualTo(18);

        for (int i = 0; i < 100; i++) {
            limit.acquire().release(429);
        }
        assertThat(limit.limit()).isEqualTo(1);
    }

    @Test
    void acquire_waitsWhileTheLimitIsInFlight() throws Exception {
        AdaptiveLimit limit = new AdaptiveLimit(1);
        AdaptiveLimit.Permit first = limit.acquire();
        CompletableFuture<AdaptiveLimit.Permit> second = CompletableFuture.supplyAsync(() -> {
            try {
                return limit.acquire();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        assertThat(second).isNotDone();
        first.release(200);
        assertThat(second.get(5, TimeUnit.SECONDS)).isNotNull();
    }

    @Test
    void anEndpointThatRefusesBeyondItsCapacity_bringsTheLimitDownToIt_andEveryLineSucceeds() throws Exception {
        try (StubEndpoint endpoint = new StubEndpoint()) {
            Job job = JobCatalog.fromJson("{\"jobs\":[{\"id\":\"job-capped\",\"base_url\":\"" + endpoint.baseUrl()
                            + "\",\"concurrency\":32}]}")
                    .find("job-capped")
                    .orElseThrow();
            ChunkRunner runner = new ChunkRunner(
                    new InferenceClient(Duration.ofSeconds(2), Duration.ofSeconds(5)),
                    TestImageResolvers.none(),
                    new RetryPolicy(20, Duration.ofMillis(1), Duration.ofMillis(20)),
                    Clock.systemUTC());
            List<RequestLine> lines = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                lines.add(new RequestLine(
                        i + 1, "r" + i, "/v1/chat/completions", Json.MAPPER.readTree("{\"model\":\"capped-4\"}")));
            }

            List<OutputLine> outputs = runner.run("batch_capped", job, lines, Optional::empty);

            assertThat(outputs).allMatch(OutputLine::succeeded);
            assertThat(runner.limit(job).limit())
                    .as("the limit found the endpoint's capacity")
                    .isLessThanOrEqualTo(8);
            // At a fixed 32 in flight, 28 of every 32 sends would be refused for the whole chunk: thousands.
            assertThat(endpoint.refused.get())
                    .as("refusals stay few once the limit adapts")
                    .isLessThan(lines.size());
        }
    }
}
