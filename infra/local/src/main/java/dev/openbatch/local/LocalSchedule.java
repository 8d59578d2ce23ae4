package dev.openbatch.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * What an EventBridge schedule rule does for a function, locally: invokes it every {@code period}
 * with a Scheduled Event, the first time one period after the start. An invocation that fails is
 * logged, and the next comes at its time, as with a rule whose target fails; invocations never overlap.
 */
final class LocalSchedule implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LocalSchedule.class.getName());

    private final ScheduledExecutorService timer;

    LocalSchedule(String rule, String region, Duration period, Function<JsonNode, JsonNode> function) {
        timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name(rule).factory());
        timer.scheduleWithFixedDelay(
                () -> {
                    try {
                        function.apply(event(rule, region));
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "the scheduled invocation of " + rule + " failed", e);
                    }
                },
                period.toMillis(),
                period.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** The event EventBridge sends a scheduled rule's target. */
    private static JsonNode event(String rule, String region) {
        ObjectNode event = Json.MAPPER
                .createObjectNode()
                .put("version", "0")
                .put("id", UUID.randomUUID().toString())
                .put("detail-type", "Scheduled Event")
                .put("source", "aws.events")
                .put("account", "000000000000")
                .put("time", Instant.now().toString())
                .put("region", region);
        event.putArray("resources").add("arn:aws:events:" + region + ":000000000000:rule/" + rule);
        event.putObject("detail");
        return event;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
