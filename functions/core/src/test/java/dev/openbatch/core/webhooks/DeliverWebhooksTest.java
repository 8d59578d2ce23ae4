package dev.openbatch.core.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.api.WebhookEvent;
import dev.openbatch.core.fakes.InMemoryEndpointRepository;
import dev.openbatch.core.fakes.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeliverWebhooksTest {

    private static final String TENANT = "team-a";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T12:00:00Z"));
    private final InMemoryEndpointRepository endpoints = new InMemoryEndpointRepository();
    private final List<WebhookMessage> queued = new ArrayList<>();
    private final Deque<Integer> answers = new ArrayDeque<>();
    private final List<Map<String, String>> posted = new ArrayList<>();
    private final Receivers receivers = new Receivers() {
        @Override
        public void check(String url) {}

        @Override
        public int post(String url, Map<String, String> headers, byte[] body) throws Unreachable {
            posted.add(headers);
            Integer status = answers.poll();
            if (status == null) {
                throw new Unreachable("the connection to the receiver failed");
            }
            return status;
        }
    };
    private final DeliverWebhooks deliver = new DeliverWebhooks(
            endpoints,
            queued::add,
            receivers,
            new RetrySchedule(Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofHours(72)),
            clock);

    private Endpoint endpoint(String id, String... types) {
        long now = clock.instant().getEpochSecond();
        Endpoint endpoint = new Endpoint(
                id,
                id,
                "https://hooks.example.com/" + id,
                List.of(types),
                now,
                now,
                Signatures.newSecret(),
                null,
                null);
        endpoints.create(TENANT, endpoint);
        return endpoint;
    }

    private WebhookMessage event(String type) {
        long now = clock.instant().getEpochSecond();
        return new WebhookMessage(TENANT, null, WebhookEvent.of("evt_1", now, type, "batch_1"));
    }

    @Test
    void anEvent_isQueuedOncePerEndpointSubscribedToItsType_andForNoOther() throws Exception {
        endpoint("whe_a", "batch.completed");
        endpoint("whe_b", "batch.failed");
        endpoint("whe_c", "batch.completed", "batch.failed");
        endpoints.create(
                "team-b",
                new Endpoint(
                        "whe_d",
                        "d",
                        "https://x.example.com",
                        List.of("batch.completed"),
                        0,
                        0,
                        Signatures.newSecret(),
                        null,
                        null));

        assertThat(deliver.handle(event("batch.completed"), 1)).isInstanceOf(DeliverWebhooks.Outcome.Done.class);

        assertThat(queued).extracting(WebhookMessage::endpointId).containsExactlyInAnyOrder("whe_a", "whe_c");
        assertThat(posted).isEmpty();
    }

    @Test
    void a2xx_endsTheDelivery_anythingElseIsRetried_withDoublingWaits_untilTheLongest() throws Exception {
        endpoint("whe_a", "batch.completed");
        WebhookMessage message = event("batch.completed").to("whe_a");
        answers.addAll(List.of(503, 301, 400));

        assertThat(deliver.handle(message, 1))
                .isEqualTo(new DeliverWebhooks.Outcome.Retry(Duration.ofSeconds(30), "the receiver answered HTTP 503"));
        assertThat(deliver.handle(message, 2))
                .isEqualTo(new DeliverWebhooks.Outcome.Retry(Duration.ofSeconds(60), "the receiver answered HTTP 301"));
        assertThat(deliver.handle(message, 3))
                .isEqualTo(
                        new DeliverWebhooks.Outcome.Retry(Duration.ofSeconds(120), "the receiver answered HTTP 400"));
        assertThat(deliver.handle(message, 4)).isInstanceOf(DeliverWebhooks.Outcome.Retry.class);
        assertThat(deliver.handle(message, 20))
                .isEqualTo(new DeliverWebhooks.Outcome.Retry(
                        Duration.ofHours(1), "the connection to the receiver failed"));
        answers.add(204);
        assertThat(deliver.handle(message, 21)).isInstanceOf(DeliverWebhooks.Outcome.Done.class);
        assertThat(posted).extracting(h -> h.get("webhook-id")).containsOnly("evt_1");
    }

    @Test
    void aDelivery_isGivenUp_72HoursAfterTheEvent() throws Exception {
        endpoint("whe_a", "batch.completed");
        WebhookMessage message = event("batch.completed").to("whe_a");
        clock.advance(Duration.ofHours(71));
        assertThat(deliver.handle(message, 70)).isInstanceOf(DeliverWebhooks.Outcome.Retry.class);
        clock.advance(Duration.ofHours(1));
        assertThat(deliver.handle(message, 71))
                .isEqualTo(new DeliverWebhooks.Outcome.Done("given up: the connection to the receiver failed"));
    }

    @Test
    void aDeletedOrUnsubscribedEndpoint_getsNothingMore() throws Exception {
        Endpoint a = endpoint("whe_a", "batch.failed");
        assertThat(deliver.handle(event("batch.completed").to("whe_a"), 1))
                .isInstanceOf(DeliverWebhooks.Outcome.Done.class);
        endpoints.delete(TENANT, a.id());
        assertThat(deliver.handle(event("batch.failed").to("whe_a"), 1))
                .isInstanceOf(DeliverWebhooks.Outcome.Done.class);
        assertThat(posted).isEmpty();
    }

    @Test
    void aKeptOldSecret_signsBesideTheNewOne_until24HoursAfterTheRotation() {
        long now = clock.instant().getEpochSecond();
        Endpoint rotated = new Endpoint(
                "whe_a",
                "a",
                "https://h.example.com",
                List.of("batch.completed"),
                now,
                now,
                Signatures.newSecret(),
                Signatures.newSecret(),
                now + 86_400);
        assertThat(rotated.signingSecrets(now)).hasSize(2);
        assertThat(rotated.signingSecrets(now + 86_400)).containsExactly(rotated.secret());
        assertThat(Signatures.headers("evt_1", now, "{}".getBytes(), rotated.signingSecrets(now))
                        .get("webhook-signature"))
                .matches("v1,[A-Za-z0-9+/=]{44} v1,[A-Za-z0-9+/=]{44}");
    }

    @Test
    void aBatchsEnd_isQueuedAsItsOpenAiEvent_withAnIdThatIsTheSameEveryTime() throws Exception {
        List<WebhookMessage> sent = new ArrayList<>();
        BatchWebhooks webhooks = new BatchWebhooks(sent::add);
        Batch running = Batch.validating("batch_1", "/v1/chat/completions", "file-1", "24h", 100, null, null, "job-a");
        webhooks.ended(TENANT, running);
        assertThat(sent).isEmpty();
        // Read as the API writes it, so that the test does not depend on the record's every component.
        Batch done = Json.MAPPER.readValue("""
                {"id":"batch_1","object":"batch","endpoint":"/v1/chat/completions","input_file_id":"file-1",
                 "completion_window":"24h","status":"completed","created_at":100,"in_progress_at":101,
                 "finalizing_at":102,"completed_at":103,"job_id":"job-a"}""", Batch.class);
        webhooks.ended(TENANT, done);
        webhooks.ended(TENANT, done);
        assertThat(sent).hasSize(2);
        assertThat(sent.get(0)).isEqualTo(sent.get(1));
        assertThat(sent.get(0).event().type()).isEqualTo("batch.completed");
        assertThat(sent.get(0).event().createdAt()).isEqualTo(103L);
        assertThat(sent.get(0).event().id()).startsWith("evt_");
        assertThat(sent.get(0).endpointId()).isNull();
    }
}
