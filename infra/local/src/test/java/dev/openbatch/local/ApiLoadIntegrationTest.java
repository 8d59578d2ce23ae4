package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchListParams;
import dev.openbatch.reference.Options;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The API under load: 20 clients at once creating batches and polling them while 5 batches run.
 * Nothing may fail; the latencies seen are printed (the README quotes them), not asserted.
 */
class ApiLoadIntegrationTest {

    private static final int CLIENTS = 20;
    private static final int RUNNING = 5;
    private static final int POLLS = 10;

    private static String lines(String prefix, int count) {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < count; i++) {
            jsonl.append("{\"custom_id\":\"")
                    .append(prefix)
                    .append(i)
                    .append("\",\"method\":\"POST\",")
                    .append(
                            "\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",")
                    .append("\"content\":\"line ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        return jsonl.toString();
    }

    @Test
    void twentyClientsCreatingAndPolling_whileFiveBatchesRun_meetNoError() throws Exception {
        try (LocalRuntime runtime = LocalRuntime.start(LocalRuntimes.isolated("openbatch-load")
                .reference(Options.builder().latency(Duration.ofMillis(100)).build())
                .jobConcurrency(32)
                .chunkLines(100)
                .mapConcurrency(4)
                .workers(4)
                .build())) {
            OpenAIClient client = OpenAIOkHttpClient.builder()
                    .baseUrl(runtime.apiBase().toString())
                    .apiKey("sk-local")
                    .maxRetries(0)
                    .build();
            List<String> running = new ArrayList<>();
            for (int b = 0; b < RUNNING; b++) {
                running.add(SdkBatches.submit(client, "/v1/chat/completions", lines("running-" + b + "-", 400)));
            }

            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            List<String> created = Collections.synchronizedList(new ArrayList<>());
            try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    int n = c;
                    done.add(clients.submit(() -> {
                        String id = timed(
                                latencies,
                                () -> SdkBatches.submit(
                                        client, "/v1/chat/completions", lines("client-" + n + "-", 20)));
                        created.add(id);
                        for (int p = 0; p < POLLS; p++) {
                            timed(latencies, () -> client.batches().retrieve(id));
                            timed(
                                    latencies,
                                    () -> client.batches()
                                            .list(BatchListParams.builder()
                                                    .limit(5)
                                                    .build()));
                        }
                        return null;
                    }));
                }
                for (Future<?> future : done) {
                    future.get();
                }
            }

            for (String id : running) {
                assertThat(AwaitBatch.ended(client, id, Duration.ofMinutes(3)).status())
                        .isEqualTo(Batch.Status.COMPLETED);
            }
            for (String id : created) {
                assertThat(AwaitBatch.ended(client, id, Duration.ofMinutes(3)).status())
                        .isEqualTo(Batch.Status.COMPLETED);
            }
            List<Long> sorted = latencies.stream().sorted().toList();
            System.out.printf(
                    Locale.ROOT,
                    "API latency under load (%d calls by %d clients while %d batches ran):"
                            + " p50 %.1f ms, p99 %.1f ms%n",
                    sorted.size(),
                    CLIENTS,
                    RUNNING,
                    sorted.get(sorted.size() / 2) / 1e6,
                    sorted.get((int) (sorted.size() * 0.99)) / 1e6);
            assertThat(sorted).hasSize(CLIENTS * (1 + 2 * POLLS));
        }
    }

    /** Runs a call (which throws on any error status) and records how long it took. */
    private static <T> T timed(List<Long> latencies, Supplier<T> call) {
        long start = System.nanoTime();
        T result = call.get();
        latencies.add(System.nanoTime() - start);
        return result;
    }
}
