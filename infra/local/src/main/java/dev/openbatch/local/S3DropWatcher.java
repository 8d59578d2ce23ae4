package dev.openbatch.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.aws.ObjectCreatedEvent;
import dev.openbatch.core.Json;
import dev.openbatch.core.ingest.DropLayout;
import dev.openbatch.stepfunctions.LocalStepFunctions;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What S3's EventBridge notifications and the rule on {@code incoming/} do in the cloud: lists the
 * ingest prefix of the local S3, through the real S3 client, and hands each object it has not seen
 * to the ingest function as the "Object Created" event AWS sends, the way Lambda invokes a function
 * asynchronously: a failed invocation is retried twice, then given up with an error in the log,
 * never retried for ever.
 *
 * <p>What it has seen is kept in memory only: after a restart it hands every object under
 * {@code incoming/} over again, and the function, whose ids derive from the object, finds the
 * batches it made before instead of making new ones.
 */
final class S3DropWatcher implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(S3DropWatcher.class.getName());

    static final Duration POLL_INTERVAL = Duration.ofMillis(500);
    /** Lambda's asynchronous invocation: the first attempt and two retries. */
    static final int ATTEMPTS = 3;

    private final S3Client s3;
    private final String bucket;
    private final String region;
    private final int deliveries;
    private final Function<JsonNode, JsonNode> function;
    private final Set<String> handled = new HashSet<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(
            Thread.ofVirtual().name("s3-drop-watcher").factory());

    /**
     * @param deliveries how many times each event is handed to the function: 1, as EventBridge
     *                   usually does; 2 plays its at-least-once delivery at its worst
     */
    S3DropWatcher(S3Client s3, String bucket, String region, int deliveries, Function<JsonNode, JsonNode> function) {
        this.s3 = s3;
        this.bucket = bucket;
        this.region = region;
        this.deliveries = deliveries;
        this.function = function;
        poller.scheduleWithFixedDelay(this::poll, 0, POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void poll() {
        try {
            for (S3Object object : s3.listObjectsV2Paginator(
                            b -> b.bucket(bucket).prefix(DropLayout.INCOMING))
                    .contents()) {
                String identity = object.key() + "\n" + object.eTag() + "\n" + object.lastModified();
                // The local S3 lists an object while its bytes are still arriving, without an ETag until they all have.
                if (object.eTag() != null && !handled.contains(identity)) {
                    hand(identity, object);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "listing s3://" + bucket + "/" + DropLayout.INCOMING + " failed; listing again in "
                            + POLL_INTERVAL.toMillis() + " ms",
                    e);
        }
    }

    private void hand(String identity, S3Object object) {
        try {
            JsonNode event = Json.MAPPER.valueToTree(event(object));
            for (int delivery = 0; delivery < deliveries; delivery++) {
                function.apply(event);
            }
            handled.add(identity);
            failures.remove(identity);
        } catch (RuntimeException e) {
            int failed = failures.merge(identity, 1, Integer::sum);
            if (failed < ATTEMPTS) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "ingesting s3://" + bucket + "/" + object.key() + " failed (" + failed + " of " + ATTEMPTS
                                + " attempts); trying again",
                        e);
            } else {
                LOG.log(
                        System.Logger.Level.ERROR,
                        "ingesting s3://" + bucket + "/" + object.key() + " failed " + ATTEMPTS
                                + " times; given up, as Lambda gives up an asynchronous event",
                        e);
                handled.add(identity);
                failures.remove(identity);
            }
        }
    }

    private ObjectCreatedEvent event(S3Object object) {
        String account = LocalStepFunctions.ACCOUNT;
        return new ObjectCreatedEvent(
                "0",
                UUID.randomUUID().toString(),
                ObjectCreatedEvent.DETAIL_TYPE,
                ObjectCreatedEvent.SOURCE,
                account,
                object.lastModified().truncatedTo(ChronoUnit.SECONDS).toString(),
                region,
                List.of("arn:aws:s3:::" + bucket),
                new ObjectCreatedEvent.Detail(
                        "0",
                        new ObjectCreatedEvent.Bucket(bucket),
                        // an unversioned bucket's event has no version-id; the sequencer orders a key's events
                        new ObjectCreatedEvent.S3Object(
                                object.key(),
                                object.size(),
                                object.eTag().replace("\"", ""),
                                null,
                                String.format(
                                        Locale.ROOT,
                                        "%016X",
                                        object.lastModified().toEpochMilli())),
                        UUID.randomUUID()
                                .toString()
                                .replace("-", "")
                                .substring(0, 16)
                                .toUpperCase(Locale.ROOT),
                        account,
                        "127.0.0.1",
                        "PutObject"));
    }

    @Override
    public void close() {
        poller.shutdown();
        try {
            poller.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
