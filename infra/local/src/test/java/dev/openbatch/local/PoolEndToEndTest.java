package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import dev.openbatch.core.Json;
import dev.openbatch.reference.Options;
import dev.openbatch.reference.ReferenceEndpoint;
import dev.openbatch.reference.Stats;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A job that is a pool of reference endpoints, through the whole local runtime and the official
 * SDK: lines naming two models go each to a replica serving its model, a model no replica serves
 * fails alone with OpenAI's {@code model_not_found}, each replica stays within its own concurrency,
 * and a replica stopped mid-batch costs no line.
 */
class PoolEndToEndTest {

    private static final String CHAT = "/v1/chat/completions";

    private static final LocalRuntimes runtimes = new LocalRuntimes();

    @AfterAll
    static void stop() {
        runtimes.close();
    }

    @Test
    void aFileMixingTwoModels_onAJobServingBoth_sendsEachLineToAReplicaServingItsModel_andAnUnservedModelFailsAlone()
            throws Exception {
        try (ReferenceEndpoint llama = ReferenceEndpoint.start(Options.builder()
                        .latency(Duration.ofMillis(20))
                        .models(List.of("llama"))
                        .build());
                ReferenceEndpoint qwen = ReferenceEndpoint.start(Options.builder()
                        .latency(Duration.ofMillis(20))
                        .models(List.of("qwen"))
                        .build())) {
            LocalRuntime runtime = LocalRuntime.start(
                    LocalRuntimes.options(Options.defaults(), 8, 20, 2, Duration.ofHours(24), 1),
                    LocalRuntime.Interceptors.NONE,
                    List.of(Map.of(
                            "id",
                            "job-pool",
                            "endpoints",
                            List.of(
                                    Map.of(
                                            "base_url",
                                            llama.baseUrl().toString(),
                                            "models",
                                            List.of("llama"),
                                            "concurrency",
                                            4),
                                    Map.of(
                                            "base_url",
                                            qwen.baseUrl().toString(),
                                            "models",
                                            List.of("qwen"),
                                            "concurrency",
                                            3)))));
            runtimes.adopt(runtime);
            OpenAIClient client = LocalRuntimes.client(runtime);
            int lines = 62;
            String batchId =
                    submit(client, "job-pool", lines, i -> i % 31 == 30 ? "mistral" : i % 2 == 0 ? "llama" : "qwen");

            Batch batch = AwaitBatch.ended(client, batchId, Duration.ofMinutes(2));

            assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
            assertThat(batch.model()).as("the lines name several models").isEmpty();
            Map<String, JsonNode> endings = SdkBatches.endings(client, batch, lines);
            for (int i = 0; i < lines; i++) {
                JsonNode line = endings.get("r-" + i);
                if (i % 31 == 30) {
                    assertThat(line.at("/response/status_code").asInt()).isEqualTo(404);
                    assertThat(line.at("/response/body")).isEqualTo(Json.MAPPER.readTree("""
                            {"error": {"message": "The model `mistral` does not exist or you do not have access to it.",
                                       "type": "invalid_request_error", "param": null, "code": "model_not_found"}}"""));
                } else {
                    assertThat(line.at("/response/status_code").asInt()).isEqualTo(200);
                    assertThat(line.at("/response/body/model").asText())
                            .as("the reference endpoint's answer names the model it received")
                            .isEqualTo(i % 2 == 0 ? "llama" : "qwen");
                }
            }
            assertThat(batch.requestCounts().orElseThrow().failed()).isEqualTo(2);
            Stats atLlama = llama.stats();
            Stats atQwen = qwen.stats();
            assertThat(atLlama.requests())
                    .as("every llama line, none other, sent once")
                    .isEqualTo(30);
            assertThat(atQwen.requests()).isEqualTo(30);
            assertThat(atLlama.maxInFlight()).isLessThanOrEqualTo(4);
            assertThat(atQwen.maxInFlight()).isLessThanOrEqualTo(3);
        }
    }

    @Test
    void aReplicaStoppedMidBatch_costsNoLine_itsTrafficGoingToTheOther_eachReplicaWithinItsConcurrency() {
        LocalRuntime runtime = runtimes.start(LocalRuntimes.options(
                        Options.builder().latency(Duration.ofMillis(100)).build(), 6, 50, 3, Duration.ofHours(24), 1)
                .withReplicas(2));
        List<ReferenceEndpoint> replicas = runtime.references();
        assertThat(replicas).hasSize(2);
        OpenAIClient client = LocalRuntimes.client(runtime);
        int lines = 600;
        String batchId = SdkBatches.submit(
                client,
                CHAT,
                lines,
                i -> "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"line " + i + "\"}]}");
        Poll.until(
                Duration.ofMinutes(1),
                "both replicas answering",
                () -> replicas.get(0).stats().answered() >= 40
                        && replicas.get(1).stats().answered() >= 40);
        replicas.get(0).close();

        Batch batch = AwaitBatch.ended(client, batchId, Duration.ofMinutes(3));

        assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
        Map<String, JsonNode> endings = SdkBatches.endings(client, batch, lines);
        assertThat(endings.values())
                .as("every custom_id once, completed")
                .allSatisfy(line ->
                        assertThat(line.at("/response/status_code").asInt()).isEqualTo(200));
        assertThat(batch.errorFileId()).isEmpty();
        Stats stopped = replicas.get(0).stats();
        Stats other = replicas.get(1).stats();
        assertThat(stopped.answered() + other.answered())
                .as("each line answered once; those cut off at the stopped replica again at the other")
                .isEqualTo(lines);
        assertThat(stopped.answered())
                .as("stopped well before the end, its traffic went to the other")
                .isLessThan(lines / 2);
        assertThat(stopped.maxInFlight()).isLessThanOrEqualTo(6);
        assertThat(other.maxInFlight()).isLessThanOrEqualTo(6);
    }

    /** Submits {@code count} chat lines for the job, line i naming {@code model(i)}, custom ids {@code r-<i>}. */
    private static String submit(
            OpenAIClient client, String job, int count, java.util.function.IntFunction<String> model) {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < count; i++) {
            file.append("{\"custom_id\":\"r-")
                    .append(i)
                    .append("\",\"method\":\"POST\",\"url\":\"" + CHAT + "\",\"body\":{\"model\":\"")
                    .append(model.apply(i))
                    .append("\",\"messages\":[{\"role\":\"user\",\"content\":\"line ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        return SdkBatches.create(
                client, CHAT, SdkBatches.upload(client, file.toString().getBytes(StandardCharsets.UTF_8)), job);
    }
}
