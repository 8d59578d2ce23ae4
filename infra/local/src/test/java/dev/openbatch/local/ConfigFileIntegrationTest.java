package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.batches.Batch;
import dev.openbatch.core.Json;
import dev.openbatch.deployment.CloudLimits;
import dev.openbatch.reference.Options;
import dev.openbatch.reference.ReferenceEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * {@code bin/local --config FILE} with a deployment's file of {@code infra/cdk/config/example.json}'s
 * shape: the runtime runs its job, with its credential, chunk size and worker, behind API keys for
 * the job's tenants, as the stack would.
 */
class ConfigFileIntegrationTest {

    private static final String KEY = "sk-team-a-config-0123456789";

    @TempDir
    Path dir;

    @Test
    void aRuntimeStartedFromADeploymentsFile_runsABatchOnTheFilesJob_inTheFilesChunks() throws Exception {
        try (ReferenceEndpoint endpoint = ReferenceEndpoint.start(Options.defaults())) {
            ObjectNode config = (ObjectNode)
                    Json.MAPPER.readTree(Path.of("../cdk/config/example.json").toFile());
            ObjectNode job = (ObjectNode) config.path("jobs").path("jobs").get(0);
            job.put("base_url", endpoint.baseUrl().toString());
            config.put("chunk_lines", CloudLimits.minChunkLinesForHistory());
            config.put("map_concurrency", 2);
            ((ObjectNode) config.path("worker"))
                    .put("max_concurrency", 3)
                    .put("timeout_seconds", 600)
                    .remove("request_timeout_seconds");
            Path file = dir.resolve("openbatch.json");
            Files.writeString(file, config.toPrettyString());

            LocalRuntime.Options options = Main.parse(
                            new String[] {
                                "--config",
                                file.toString(),
                                "--port",
                                "0",
                                "--s3-port",
                                "0",
                                "--sqs-port",
                                "0",
                                "--dynamodb-port",
                                Integer.toString(Emulators.freePort()),
                                "--data-dir",
                                dir.resolve("data").toString()
                            },
                            Map.of("OPENBATCH_SECRET_JOB_GPU", "Bearer sk-gpu"))
                    .options();
            try (LocalRuntime runtime = LocalRuntime.start(options)) {
                LocalRuntimes.issueKey(runtime, KEY, "team-a");
                OpenAIClient client = OpenAIOkHttpClient.builder()
                        .baseUrl(runtime.apiBase().toString())
                        .apiKey(KEY)
                        .maxRetries(0)
                        .build();

                String id = SdkBatches.submit(
                        client,
                        "/v1/chat/completions",
                        50,
                        i -> "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"line " + i + "\"}]}");
                Batch batch = AwaitBatch.ended(client, id, Duration.ofMinutes(2));

                assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
                assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(50);
                assertThat(endpoint.stats().requests("/v1/chat/completions")).isEqualTo(50);
                assertThat(runtime.inferenceEndpoint()).isEqualTo(endpoint.baseUrl());
                // The chunk queue as the stack declares it: six worker timeouts (ElasticMQ does not report retention).
                try (SqsClient sqs = SqsClient.builder()
                        .endpointOverride(runtime.sqsEndpoint())
                        .region(Region.US_EAST_1)
                        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("l", "l")))
                        .build()) {
                    String url = sqs.getQueueUrl(b -> b.queueName(LocalRuntime.CHUNK_QUEUE))
                            .queueUrl();
                    Map<QueueAttributeName, String> attributes = sqs.getQueueAttributes(
                                    b -> b.queueUrl(url).attributeNames(QueueAttributeName.ALL))
                            .attributes();
                    assertThat(attributes)
                            .containsEntry(QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(6 * 600));
                }
                JsonNode jobs = Json.MAPPER.readTree(options.jobs());
                assertThat(jobs.toString()).doesNotContain("secret_arn").contains("Bearer sk-gpu");
            }
        }
    }
}
