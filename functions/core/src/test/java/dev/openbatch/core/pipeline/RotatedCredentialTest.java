package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.core.Json;
import dev.openbatch.core.capacity.CapacityLeases;
import dev.openbatch.core.fakes.MutableClock;
import dev.openbatch.core.fakes.StubEndpoint;
import dev.openbatch.core.fakes.TestImageResolvers;
import dev.openbatch.core.jobs.Credentials;
import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import dev.openbatch.core.jobs.SecretReader;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A job's endpoint credential rotated in its secret while a worker runs: read again after a 401, once. */
class RotatedCredentialTest {

    private static final String ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:gpu-key-AbCdEf";

    private final StubEndpoint endpoint = new StubEndpoint();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-21T12:00:00Z"));
    private final AtomicInteger reads = new AtomicInteger();
    private volatile String secret = "Bearer old";
    private final SecretReader secrets = arn -> {
        reads.incrementAndGet();
        return secret;
    };

    @AfterEach
    void stop() {
        endpoint.close();
    }

    private Job job() {
        return JobCatalog.fromJson("{\"jobs\":[{\"id\":\"job-gpu\",\"base_url\":\"" + endpoint.baseUrl()
                        + "\",\"concurrency\":1,\"auth\":{\"header\":\"Authorization\",\"secret_arn\":\"" + ARN
                        + "\"}}]}")
                .withSecrets(secrets)
                .find("job-gpu")
                .orElseThrow();
    }

    private ChunkRunner runner() {
        return new ChunkRunner(
                new InferenceClient(Duration.ofSeconds(2), Duration.ofSeconds(5)),
                TestImageResolvers.none(),
                new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5)),
                clock,
                new Credentials(secrets, clock, Duration.ofMinutes(1)),
                CapacityLeases.inProcess(clock));
    }

    private static List<RequestLine> lines(int n) throws IOException {
        List<RequestLine> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            lines.add(
                    new RequestLine(i + 1, "r" + i, "/v1/chat/completions", Json.MAPPER.readTree("{\"model\":\"m\"}")));
        }
        return lines;
    }

    @Test
    void aCredentialRotatedWhileTheWorkerRuns_isReadAgainAfterA401_andEveryLineSucceeds() throws Exception {
        Job job = job();
        assertThat(reads).as("read as the worker starts").hasValue(1);
        secret = "Bearer new";
        endpoint.requiredAuthorization = "Bearer new";

        List<OutputLine> outputs = runner().run("batch_rotated", job, lines(5), Optional::empty);

        assertThat(outputs).allMatch(OutputLine::succeeded);
        assertThat(reads).as("read again once, for every line after").hasValue(2);
        assertThat(endpoint.unauthorized)
                .as("only the first line met the old credential")
                .hasValue(1);
    }

    @Test
    void aCredentialTheEndpointStillRefuses_failsEachLineWithThe401_readingTheSecretOnceMore_notPerLine()
            throws Exception {
        Job job = job();
        endpoint.requiredAuthorization = "Bearer something else";

        List<OutputLine> outputs = runner().run("batch_refused", job, lines(5), Optional::empty);

        assertThat(outputs)
                .allSatisfy(line -> assertThat(line.response().statusCode()).isEqualTo(401));
        assertThat(reads)
                .as("one read at the start, one after the first refusal")
                .hasValue(2);
        assertThat(endpoint.requests)
                .as("no line sent again with the same credential")
                .hasValue(5);
    }

    @Test
    void inAPool_eachEndpointsCredential_isItsOwn_andOnlyTheRotatedOneIsReadAgain() throws Exception {
        try (StubEndpoint other = new StubEndpoint()) {
            String otherArn = ARN.replace("gpu-key", "gpu-2-key");
            java.util.Map<String, String> values = new java.util.concurrent.ConcurrentHashMap<>(
                    java.util.Map.of(ARN, "Bearer one", otherArn, "Bearer two"));
            java.util.Map<String, AtomicInteger> readsOf = new java.util.concurrent.ConcurrentHashMap<>();
            SecretReader byArn = arn -> {
                readsOf.computeIfAbsent(arn, k -> new AtomicInteger()).incrementAndGet();
                return values.get(arn);
            };
            Job job = JobCatalog.fromJson("""
                            {"jobs": [{"id": "job-pool", "endpoints": [
                              {"base_url": "%s", "concurrency": 2, "auth": {"header": "Authorization", "secret_arn": "%s"}},
                              {"base_url": "%s", "concurrency": 2, "auth": {"header": "Authorization", "secret_arn": "%s"}}]}]}""".formatted(endpoint.baseUrl(), ARN, other.baseUrl(), otherArn))
                    .withSecrets(byArn)
                    .find("job-pool")
                    .orElseThrow();
            endpoint.requiredAuthorization = "Bearer one";
            values.put(otherArn, "Bearer two, rotated");
            other.requiredAuthorization = "Bearer two, rotated";
            ChunkRunner runner = new ChunkRunner(
                    new InferenceClient(Duration.ofSeconds(2), Duration.ofSeconds(5)),
                    TestImageResolvers.none(),
                    new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5)),
                    clock,
                    new Credentials(byArn, clock, Duration.ofMinutes(1)),
                    CapacityLeases.inProcess(clock));

            List<OutputLine> outputs = runner.run("batch_pool", job, lines(20), Optional::empty);

            assertThat(outputs).allMatch(OutputLine::succeeded);
            assertThat(endpoint.requests.get()).as("both endpoints took lines").isPositive();
            assertThat(other.requests.get()).isPositive();
            assertThat(endpoint.unauthorized)
                    .as("the first endpoint's credential was never refused")
                    .hasValue(0);
            assertThat(readsOf.get(ARN)).as("read once, as the worker started").hasValue(1);
            assertThat(readsOf.get(otherArn))
                    .as("read again once, after its endpoint's refusal")
                    .hasValue(2);
        }
    }

    @Test
    void aJobWhoseCredentialIsGiven_isNeverReadAgain() throws Exception {
        Job job = JobCatalog.fromJson("{\"jobs\":[{\"id\":\"job-gpu\",\"base_url\":\"" + endpoint.baseUrl()
                        + "\",\"auth\":{\"header\":\"Authorization\",\"value\":\"Bearer given\"}}]}")
                .find("job-gpu")
                .orElseThrow();
        endpoint.requiredAuthorization = "Bearer new";

        List<OutputLine> outputs = runner().run("batch_given", job, lines(2), Optional::empty);

        assertThat(outputs)
                .allSatisfy(line -> assertThat(line.response().statusCode()).isEqualTo(401));
        assertThat(reads).hasValue(0);
    }
}
