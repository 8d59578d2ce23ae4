package dev.openbatch.core.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openbatch.core.ApiException;
import dev.openbatch.core.Ids;
import dev.openbatch.core.api.WebhookEndpoint;
import dev.openbatch.core.fakes.InMemoryEndpointRepository;
import dev.openbatch.core.fakes.MutableClock;
import dev.openbatch.core.net.PublicUrls;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WebhookEndpointsTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T12:00:00Z"));
    private final InMemoryEndpointRepository repository = new InMemoryEndpointRepository();
    private final WebhookEndpoints endpoints;

    WebhookEndpointsTest() throws Exception {
        // localhost trusted by name, so that no test needs DNS; the address rule itself is PublicUrls' (images' too).
        endpoints = new WebhookEndpoints(
                repository,
                new WebReceivers(
                        new PublicUrls(false, Set.of("localhost")), SSLContext.getDefault(), Duration.ofSeconds(1)),
                new Ids(clock),
                clock);
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private WebhookEndpoint create() {
        return endpoints.create(
                "team-a",
                json("{\"url\":\"https://localhost/x\",\"name\":\"x\",\"event_types\":[\"batch.completed\"]}"));
    }

    @Test
    void create_answersTheSecretOnce_andRetrieveOnlyItsHint() {
        WebhookEndpoint created = create();
        assertThat(created.signingSecret()).startsWith("whsec_");
        assertThat(created.signingSecretHint())
                .isEqualTo("whsec_…"
                        + created.signingSecret()
                                .substring(created.signingSecret().length() - 4));
        WebhookEndpoint retrieved = endpoints.retrieve("team-a", created.id());
        assertThat(retrieved.signingSecret()).isNull();
        assertThat(new String(dev.openbatch.core.Json.write(retrieved), StandardCharsets.UTF_8))
                .doesNotContain("\"signing_secret\"");
        assertThatThrownBy(() -> endpoints.retrieve("team-b", created.id()))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    @Test
    void anUpdateThatChangesNothing_keepsUpdatedAt_andOneThatDoes_movesIt() {
        WebhookEndpoint created = create();
        clock.advance(Duration.ofMinutes(5));
        assertThat(endpoints
                        .update("team-a", created.id(), json("{\"name\":\"x\"}"))
                        .updatedAt())
                .isEqualTo(created.updatedAt());
        assertThat(endpoints
                        .update("team-a", created.id(), json("{\"name\":\"y\"}"))
                        .updatedAt())
                .isEqualTo(created.updatedAt() + 300);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"name\":\"x\",\"event_types\":[\"batch.completed\"]}|url|missing_required_parameter",
                "{\"url\":\"http://localhost/x\",\"name\":\"x\",\"event_types\":[\"batch.completed\"]}|url|invalid_url",
                "{\"url\":\"https://10.0.0.1/x\",\"name\":\"x\",\"event_types\":[\"batch.completed\"]}|url|invalid_url",
                "{\"url\":\"https://169.254.169.254/\",\"name\":\"x\",\"event_types\":[\"batch.completed\"]}|url|invalid_url",
                "{\"url\":\"https://0x7f.1/\",\"name\":\"x\",\"event_types\":[\"batch.completed\"]}|url|invalid_url",
                "{\"url\":\"https://localhost/x\",\"name\":\"\",\"event_types\":[\"batch.completed\"]}|name|string_below_min_length",
                "{\"url\":\"https://localhost/x\",\"name\":\"x\",\"event_types\":[]}|event_types|empty_array",
                "{\"url\":\"https://localhost/x\",\"name\":\"x\",\"event_types\":[\"response.completed\"]}|event_types[0]|invalid_value",
                "{\"url\":\"https://localhost/x\",\"name\":\"x\",\"event_types\":[\"batch.completed\"],\"secret\":\"s\"}|secret|unknown_parameter"
            })
    void aBadCreate_isOpenAis400_namingTheParameter(String body, String param, String code) {
        assertThatThrownBy(() -> endpoints.create("team-a", json(body)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.envelope().error().param()).isEqualTo(param);
                    assertThat(e.envelope().error().code()).isEqualTo(code);
                });
    }

    @Test
    void rotate_withoutKeeping_dropsTheOldSecret_andKeeping_holdsItFor24Hours() {
        WebhookEndpoint created = create();
        WebhookEndpoint kept =
                endpoints.rotateSecret("team-a", created.id(), json("{\"keep_old_secret_active_for_24_hours\":true}"));
        Endpoint stored = repository.find("team-a", created.id()).orElseThrow();
        assertThat(stored.previousSecret()).isEqualTo(created.signingSecret());
        assertThat(stored.signingSecrets(clock.instant().getEpochSecond()))
                .containsExactly(kept.signingSecret(), created.signingSecret());
        endpoints.rotateSecret("team-a", created.id(), new byte[0]);
        assertThat(repository.find("team-a", created.id()).orElseThrow().previousSecret())
                .isNull();
    }
}
