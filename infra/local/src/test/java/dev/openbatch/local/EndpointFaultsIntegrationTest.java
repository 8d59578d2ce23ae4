package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import dev.openbatch.aws.Settings;
import dev.openbatch.reference.Fault;
import dev.openbatch.reference.Options;
import dev.openbatch.reference.Stats;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The inference endpoint misbehaving at 30% of calls — in each way alone, then in all ways mixed
 * with every chunk message delivered twice — through the whole local runtime: every custom id
 * ends exactly once; what recovered is in the output file, what did not is in the error file with
 * its last status, or, where no status came, the failure that ended it. A few lines ask the
 * reference endpoint for the fault on every call ({@code fault-<name>} models), so each run has
 * lines that cannot recover.
 */
class EndpointFaultsIntegrationTest {

    private static final int LINES = 100;
    private static final String CHAT = "/v1/chat/completions";
    /**
     * Requests give up after a second (a timeout fault holds its request for three), and back off
     * from 50 ms rather than 500, so a line that never recovers spends seconds, not tens, on its six calls.
     */
    private static final Settings.Retries RETRIES =
            new Settings.Retries(Duration.ofSeconds(1), Duration.ofMillis(50), Duration.ZERO);

    private static final LocalRuntimes runtimes = new LocalRuntimes();

    @AfterAll
    static void stop() {
        runtimes.close();
    }

    /**
     * One run: the faults drawn at random, those of the lines that never recover, and how many
     * times each chunk message is delivered.
     */
    record Run(String name, UnaryOperator<Options.Builder> faults, List<Fault> unrecoverable, int deliveries) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> runs() {
        Stream<Run> alone = Stream.of(
                new Run("500", o -> o.error500(0.3), List.of(Fault.ERROR_500), 1),
                new Run("503", o -> o.error503(0.3), List.of(Fault.ERROR_503), 1),
                new Run("429 with Retry-After", o -> o.error429(0.3).retryAfter429(1), List.of(Fault.ERROR_429), 1),
                new Run("429 without Retry-After", o -> o.error429(0.3).retryAfter429(0), List.of(Fault.ERROR_429), 1),
                new Run("timeouts", o -> o.timeout(0.3), List.of(Fault.TIMEOUT), 1),
                new Run("connection resets", o -> o.connectionReset(0.3), List.of(Fault.CONNECTION_RESET), 1),
                new Run("truncated bodies", o -> o.truncatedBody(0.3), List.of(Fault.TRUNCATED_BODY), 1),
                new Run("non-JSON bodies", o -> o.nonJsonBody(0.3), List.of(Fault.NON_JSON_BODY), 1));
        Run mixed = new Run(
                "all mixed, every message delivered twice",
                o -> o.error500(0.05)
                        .error503(0.05)
                        .error429(0.05)
                        .timeout(0.03)
                        .connectionReset(0.04)
                        .truncatedBody(0.04)
                        .nonJsonBody(0.04),
                Arrays.asList(Fault.values()),
                2);
        return Stream.concat(alone, Stream.of(mixed)).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void anEndpointFailing30PercentOfCalls_endsEachLineOnce_recoveredInTheOutput_theRestWithTheirLastStatus(Run run) {
        Options reference = run.faults()
                .apply(Options.builder().timeoutHold(Duration.ofSeconds(3)).seed(42))
                .build();
        LocalRuntime runtime =
                runtimes.start(LocalRuntimes.options(reference, 16, 25, 4, Duration.ofHours(24), run.deliveries())
                        .withRetries(RETRIES));
        OpenAIClient client = LocalRuntimes.client(runtime);
        int stride = LINES / Math.max(4, run.unrecoverable().size());
        String batchId = SdkBatches.submit(client, CHAT, LINES, i -> {
            boolean doomed = i % stride == 7
                    && i / stride < Math.max(4, run.unrecoverable().size());
            String model = doomed
                    ? "fault-"
                            + run.unrecoverable()
                                    .get(i / stride % run.unrecoverable().size())
                                    .wireName()
                    : "m";
            return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"line " + i + "\"}]}";
        });

        Batch batch = AwaitBatch.ended(client, batchId, Duration.ofMinutes(3));

        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        Map<String, JsonNode> endings = SdkBatches.endings(client, batch, LINES);
        for (int i = 7, n = 0; n < Math.max(4, run.unrecoverable().size()); i += stride, n++) {
            Fault fault = run.unrecoverable().get(n % run.unrecoverable().size());
            assertEndedBy(fault, endings.get(CHAT + "-" + i));
        }
        List<JsonNode> output = SdkBatches.lines(client, batch.outputFileId().orElseThrow());
        assertThat(output)
                .allSatisfy(line ->
                        assertThat(line.at("/response/status_code").asInt()).isEqualTo(200));
        List<JsonNode> errors = SdkBatches.lines(client, batch.errorFileId().orElseThrow());
        assertThat(errors).allSatisfy(line -> assertThat(run.unrecoverable()).anySatisfy(f -> assertEndedBy(f, line)));
        // A line fails six calls in a row at 30% about once in 1,400: nearly every other line recovered.
        assertThat(batch.requestCounts().orElseThrow().completed())
                .isGreaterThanOrEqualTo(LINES - Math.max(4, run.unrecoverable().size()) - 2);
        Stats stats = runtime.referenceStats();
        long injected = run.unrecoverable().stream().mapToLong(stats::faults).sum();
        assertThat(injected)
                .as("faults met by lines that recovered, beyond the six calls of each doomed line")
                .isGreaterThan(6L * Math.max(4, run.unrecoverable().size()));
    }

    /** How a line that never recovered from a fault ends: the last status, or the failure when none came. */
    private static void assertEndedBy(Fault fault, JsonNode line) {
        switch (fault) {
            case ERROR_500, ERROR_503, ERROR_429 -> {
                int status = switch (fault) {
                    case ERROR_500 -> 500;
                    case ERROR_503 -> 503;
                    default -> 429;
                };
                assertThat(line.at("/response/status_code").asInt())
                        .as(line.toString())
                        .isEqualTo(status);
                assertThat(line.at("/response/body/error/message").asText()).contains(fault.wireName());
            }
            case NON_JSON_BODY -> {
                assertThat(line.at("/response/status_code").asInt())
                        .as(line.toString())
                        .isEqualTo(502);
                assertThat(line.at("/response/body/error/message").asText()).contains("not JSON");
            }
            case TIMEOUT -> {
                assertThat(line.get("response").isNull()).as(line.toString()).isTrue();
                assertThat(line.at("/error/code").asText()).isEqualTo("request_timeout");
            }
            case CONNECTION_RESET, TRUNCATED_BODY -> {
                assertThat(line.get("response").isNull()).as(line.toString()).isTrue();
                assertThat(line.at("/error/code").asText()).isEqualTo("endpoint_unreachable");
            }
        }
    }
}
