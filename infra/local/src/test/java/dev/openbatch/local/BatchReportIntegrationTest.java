package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import dev.openbatch.core.Json;
import dev.openbatch.reference.Options;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/batches/{id}/report} through the local runtime, on a reference endpoint that
 * answers some lines 429 and 503 and refuses others with a 400, for lines of two models: read while
 * the batch runs and after it has ended, its counts match the output and error files, its usage
 * summed over the models is the Batch's {@code usage}, and its retries show the injected faults.
 */
class BatchReportIntegrationTest {

    private static final String CHAT = "/v1/chat/completions";
    private static final int LINES = 40;

    private static final LocalRuntimes runtimes = new LocalRuntimes();
    private final HttpClient http =
            HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();

    @AfterAll
    static void stop() {
        runtimes.close();
    }

    @Test
    void theReport_readDuringARunAndAfter_matchesTheFiles_theUsage_andTheInjectedFaults() throws Exception {
        LocalRuntime runtime = runtimes.start(LocalRuntimes.options(
                Options.builder()
                        .latency(Duration.ofMillis(200))
                        .error429(0.15)
                        .error503(0.1)
                        .retryAfter429(1.0)
                        .seed(16)
                        .build(),
                2,
                4,
                2,
                Duration.ofHours(24),
                1));
        OpenAIClient client = LocalRuntimes.client(runtime);
        String batchId = SdkBatches.submit(
                client,
                CHAT,
                LINES,
                i -> "{\"model\":\"" + (i % 10 == 3 ? "error-400" : i % 2 == 0 ? "model-a" : "model-b")
                        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"line " + i + " of the batch\"}]}");

        List<JsonNode> whileRunning = new ArrayList<>();
        Batch batch;
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!AwaitBatch.ENDED.contains((batch = client.batches().retrieve(batchId)).status())) {
            assertThat(System.nanoTime()).as("the batch ends in time").isLessThan(deadline);
            JsonNode report = report(runtime, batchId);
            assertThat(report.get("object").asText()).isEqualTo("batch.report");
            assertThat(report.at("/phases/validating_seconds").isNumber()).isTrue();
            if (report.get("status").asText().equals("in_progress")) {
                assertThat(report.at("/request_counts/total").asLong()).isEqualTo(LINES);
                assertThat(report.at("/request_counts/completed").asLong()
                                + report.at("/request_counts/failed").asLong())
                        .isLessThanOrEqualTo(LINES);
                assertThat(report.at("/phases/finalizing_seconds").isNull())
                        .as("not reached yet")
                        .isTrue();
                whileRunning.add(report);
            }
            AwaitBatch.pause();
        }

        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(whileRunning).as("reports read while the batch ran").isNotEmpty();
        assertThat(whileRunning.stream()
                        .mapToLong(r -> r.at("/request_counts/completed").asLong())
                        .max()
                        .orElseThrow())
                .as("a report during the run already counts lines ended")
                .isPositive();

        byte[] bytes = reportBytes(runtime, batchId);
        assertThat(reportBytes(runtime, batchId))
                .as("the finalizer's report, byte for byte")
                .isEqualTo(bytes);
        JsonNode report = Json.MAPPER.readTree(bytes);
        List<JsonNode> output = SdkBatches.lines(client, batch.outputFileId().orElseThrow());
        List<JsonNode> errors = SdkBatches.lines(client, batch.errorFileId().orElseThrow());

        assertThat(report.get("status").asText()).isEqualTo("completed");
        assertThat(report.at("/request_counts/total").asLong()).isEqualTo(LINES);
        assertThat(report.at("/request_counts/completed").asLong()).isEqualTo(output.size());
        assertThat(report.at("/request_counts/failed").asLong()).isEqualTo(errors.size());

        Map<String, Long> codes = new HashMap<>();
        errors.forEach(line -> codes.merge(line.at("/response/body/error/code").asText("null"), 1L, Long::sum));
        Map<String, Long> reported = new HashMap<>();
        report.get("errors_by_code").forEach(e -> {
            reported.merge(e.get("code").asText("null"), e.get("count").asLong(), Long::sum);
            assertThat(e.get("examples").size()).isBetween(1, 3);
        });
        assertThat(reported).as("errors by code, as the error file has them").isEqualTo(codes);

        com.openai.models.batches.BatchUsage usage = batch.usage().orElseThrow();
        long input = 0;
        long out = 0;
        long total = 0;
        long requests = 0;
        for (JsonNode model : report.get("usage_by_model")) {
            input += model.get("input_tokens").asLong();
            out += model.get("output_tokens").asLong();
            total += model.get("total_tokens").asLong();
            requests += model.get("requests").asLong();
        }
        assertThat(List.of(input, out, total))
                .as("usage over the models is the Batch's")
                .containsExactly(usage.inputTokens(), usage.outputTokens(), usage.totalTokens());
        assertThat(requests).isEqualTo(output.size());
        assertThat(report.get("usage_by_model"))
                .extracting(m -> m.get("model").asText())
                .containsExactlyInAnyOrder("model-a", "model-b");

        long retried429 = report.at("/attempts/retries_by_status/429").asLong();
        long retried503 = report.at("/attempts/retries_by_status/503").asLong();
        assertThat(retried429).as("the injected 429s were retried").isPositive();
        assertThat(retried503).as("the injected 503s were retried").isPositive();
        long lines = 0;
        long attempts = 0;
        for (Map.Entry<String, JsonNode> perLine :
                report.at("/attempts/per_line").properties()) {
            lines += perLine.getValue().asLong();
            attempts += Integer.parseInt(perLine.getKey()) * perLine.getValue().asLong();
        }
        assertThat(lines).as("every line went to the endpoint").isEqualTo(LINES);
        long retries = 0;
        for (Map.Entry<String, JsonNode> status :
                report.at("/attempts/retries_by_status").properties()) {
            retries += status.getValue().asLong();
        }
        assertThat(attempts - lines)
                .as("attempts beyond the first are the retries")
                .isEqualTo(retries);
        assertThat(report.at("/latency_ms/count").asLong()).isEqualTo(LINES);
        assertThat(report.at("/latency_ms/p50").asLong()).isBetween(150L, 2_000L);
        assertThat(report.at("/latency_ms/p99").asLong())
                .isGreaterThanOrEqualTo(report.at("/latency_ms/p50").asLong());
        assertThat(report.at("/cost/gpu_seconds").asDouble()).isGreaterThanOrEqualTo(LINES * 0.2 * 0.9);
        assertThat(report.at("/cost/total_usd").asDouble()).isPositive();
        assertThat(report.at("/cost/items"))
                .extracting(i -> i.get("item").asText())
                .contains("Step Functions state transitions", "Lambda GB-seconds", "S3 writes (PUT)");

        JsonNode intervals = report.at("/timeline/intervals");
        assertThat(intervals.size()).isBetween(1, 120);
        long completed = 0;
        long failed = 0;
        for (JsonNode interval : intervals) {
            completed += interval.get("completed").asLong();
            failed += interval.get("failed").asLong();
        }
        assertThat(completed).isEqualTo(output.size());
        assertThat(failed).isEqualTo(errors.size());
        assertThat(intervals.get(intervals.size() - 1).get("in_flight").asLong())
                .isZero();
        for (String phase : List.of("validating", "waiting", "running", "finalizing")) {
            assertThat(report.at("/phases/" + phase + "_seconds").isNumber())
                    .as(phase)
                    .isTrue();
        }
        assertThat(report.at("/phases/running_seconds").asDouble()).isPositive();
    }

    private JsonNode report(LocalRuntime runtime, String batchId) throws Exception {
        return Json.MAPPER.readTree(reportBytes(runtime, batchId));
    }

    private byte[] reportBytes(LocalRuntime runtime, String batchId) throws Exception {
        java.net.http.HttpResponse<byte[]> response = http.send(
                HttpRequest.newBuilder(URI.create(runtime.apiBase() + "/batches/" + batchId + "/report"))
                        .header("Authorization", "Bearer sk-local")
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode())
                .as(new String(response.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        return response.body();
    }
}
