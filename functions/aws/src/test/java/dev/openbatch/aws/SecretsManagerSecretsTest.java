package dev.openbatch.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.openbatch.core.Json;
import dev.openbatch.core.jobs.Credentials;
import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;

/**
 * The Secrets Manager adapter through the real SDK client, against a server on loopback that
 * answers GetSecretValue in the service's JSON 1.1 protocol (no emulator of Secrets Manager runs
 * here) and records what the client asked.
 */
class SecretsManagerSecretsTest {

    private static final String ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:gpu-key-AbCdEf";

    private final List<String> targets = new CopyOnWriteArrayList<>();
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private volatile String secretString = "Bearer sk-gpu";
    private HttpServer server;
    private SecretsManagerClient client;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            targets.add(exchange.getRequestHeaders().getFirst("X-Amz-Target"));
            JsonNode request = Json.MAPPER.readTree(exchange.getRequestBody());
            requests.add(request);
            boolean known = ARN.equals(request.path("SecretId").asText());
            byte[] body = Json.write(
                    known
                            ? Map.of("ARN", ARN, "Name", "gpu-key", "SecretString", secretString, "VersionId", "v1")
                            : Map.of(
                                    "__type",
                                    "ResourceNotFoundException",
                                    "message",
                                    "Secrets Manager can't find the specified secret."));
            exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
            exchange.sendResponseHeaders(known ? 200 : 400, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        Settings settings = Settings.builder()
                .region("us-east-1")
                .bucket("b")
                .filesTable("f")
                .batchesTable("t")
                .jobsJson("{}")
                .endpoints(Map.of(
                        Settings.SECRETS_MANAGER,
                        URI.create("http://127.0.0.1:" + server.getAddress().getPort())))
                .staticCredentials(Optional.of(new String[] {"id", "secret"}))
                .build();
        client = new AwsClients(settings).secretsManager();
    }

    @AfterEach
    void stop() {
        client.close();
        server.stop(0);
    }

    @Test
    void read_asksForTheSecretByItsArn_andGivesItsString() {
        assertThat(new SecretsManagerSecrets(client).read(ARN)).isEqualTo("Bearer sk-gpu");

        assertThat(targets).containsExactly("secretsmanager.GetSecretValue");
        assertThat(requests.getFirst().path("SecretId").asText()).isEqualTo(ARN);
    }

    @Test
    void aMissingSecret_failsTheRead() {
        assertThatThrownBy(() -> new SecretsManagerSecrets(client).read(ARN + "-other"))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void aSecretRotatedAfterTheWorkerStarted_isReadAgainThroughTheAdapter_whenTheEndpointRefusesTheOldValue() {
        SecretsManagerSecrets secrets = new SecretsManagerSecrets(client);
        Job.Endpoint endpoint = JobCatalog.fromJson("""
                {"jobs": [{"id": "job-gpu", "base_url": "https://gpu/v1",
                           "auth": {"header": "Authorization", "secret_arn": "%s"}}]}""".formatted(ARN))
                .withSecrets(secrets)
                .find("job-gpu")
                .orElseThrow()
                .endpoints()
                .getFirst();
        Credentials credentials = new Credentials(secrets, Clock.systemUTC(), Duration.ofSeconds(10));
        secretString = "Bearer sk-rotated";

        Job.Endpoint renewed = credentials.renewed(endpoint).orElseThrow();

        assertThat(renewed.auth().value()).isEqualTo("Bearer sk-rotated");
        assertThat(credentials.current(endpoint).auth().value()).isEqualTo("Bearer sk-rotated");
        assertThat(targets).containsExactly("secretsmanager.GetSecretValue", "secretsmanager.GetSecretValue");
    }

    @Test
    void aCatalogsSecrets_readThroughTheAdapter_becomeTheHeadersValue() {
        JobCatalog jobs = JobCatalog.fromJson("""
                {"jobs": [{"id": "job-gpu", "base_url": "https://gpu/v1",
                           "auth": {"header": "Authorization", "secret_arn": "%s"}}]}""".formatted(ARN)).withSecrets(new SecretsManagerSecrets(client));

        assertThat(jobs.find("job-gpu").orElseThrow().single().auth().value()).isEqualTo("Bearer sk-gpu");
    }

    @Test
    void theWorkersWiring_readsTheJobsSecretsOnce_andNoOtherFunctionReadsThem() {
        String jobs = """
                {"jobs": [{"id": "job-a", "base_url": "https://a/v1", "auth": {"header": "Authorization", "secret_arn": "%1$s"}},
                          {"id": "job-b", "base_url": "https://b/v1", "auth": {"header": "X-Key", "secret_arn": "%1$s"}}]}""".formatted(ARN);
        Wiring wiring = new Wiring(Settings.builder()
                .region("us-east-1")
                .bucket("b")
                .filesTable("f")
                .batchesTable("t")
                .jobsJson(jobs)
                .endpoints(Map.of(
                        Settings.SECRETS_MANAGER,
                        URI.create("http://127.0.0.1:" + server.getAddress().getPort())))
                .staticCredentials(Optional.of(new String[] {"id", "secret"}))
                .build());

        wiring.validateBatch();
        wiring.finalizeBatch();
        assertThat(targets).isEmpty();

        wiring.runChunk();
        assertThat(targets).containsExactly("secretsmanager.GetSecretValue");
    }
}
