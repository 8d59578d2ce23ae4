package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.reference.Options;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A dropped batch on a slow endpoint, its results folder watched as an operator watches it: while
 * the batch runs, {@code partial/} gains a file per side of each chunk whose part is whole, each
 * written once with the part's lines; when it ends, the final files and {@code batch.json} replace
 * them, and every line a partial file showed is in the final files.
 */
class S3DropPartialResultsIntegrationTest {

    private static final String INGEST = "openbatch-ingest";
    private static final String FOLDER = "results/job-local/slow/run/";
    private static final int LINES = 24;

    private static final LocalRuntimes runtimes = new LocalRuntimes();

    @AfterAll
    static void stop() {
        runtimes.close();
    }

    @Test
    void whileADroppedBatchRuns_partialShowsEachWholePart_andTheFinalFilesReplaceIt() {
        LocalRuntime runtime = runtimes.start(LocalRuntimes.options(
                Options.builder().latency(Duration.ofMillis(250)).build(), 2, 4, 2, Duration.ofHours(24), 1));
        S3Client s3 = Emulators.clients(runtime.s3Endpoint(), runtime.dynamoEndpoint())
                .s3();
        StringBuilder input = new StringBuilder();
        for (int i = 0; i < LINES; i++) {
            input.append(ServingRuntime.goodLine("drop-" + i).replace("\"m\"", i == 5 ? "\"error-400\"" : "\"m\""))
                    .append('\n');
        }
        s3.putObject(
                b -> b.bucket(INGEST).key("incoming/job-local/slow/run.jsonl"),
                RequestBody.fromString(input.toString()));

        List<Set<String>> partialsSeen = new ArrayList<>();
        Map<String, String> partialContent = new TreeMap<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!keys(s3).contains(FOLDER + "batch.json")) {
            assertThat(System.nanoTime()).as("the batch ends in time").isLessThan(deadline);
            Set<String> partials = new HashSet<>();
            for (String key : keys(s3)) {
                if (key.startsWith(FOLDER + "partial/")) {
                    partials.add(key);
                    String text = text(s3, key);
                    if (text != null) {
                        String before = partialContent.putIfAbsent(key, text);
                        assertThat(before == null || before.equals(text))
                                .as("%s is written once, with its part", key)
                                .isTrue();
                    }
                }
            }
            // partial/ is removed before batch.json is written: what is seen here was seen while the batch ran.
            if (!partials.isEmpty()
                    && (partialsSeen.isEmpty() || !partialsSeen.getLast().equals(partials))) {
                partialsSeen.add(partials);
            }
            AwaitBatch.pause();
        }

        assertThat(partialsSeen.size())
                .as("partial/ as it grew: %s", partialsSeen)
                .isGreaterThanOrEqualTo(2);
        for (int i = 1; i < partialsSeen.size(); i++) {
            assertThat(partialsSeen.get(i)).containsAll(partialsSeen.get(i - 1));
        }
        assertThat(partialContent.keySet()).allMatch(key -> key.matches(".*/partial/(output|errors)-\\d{5}\\.jsonl"));
        assertThat(keys(s3))
                .filteredOn(key -> key.startsWith(FOLDER))
                .containsExactlyInAnyOrder(FOLDER + "output.jsonl", FOLDER + "errors.jsonl", FOLDER + "batch.json");
        List<String> finalLines =
                new ArrayList<>(text(s3, FOLDER + "output.jsonl").lines().toList());
        finalLines.addAll(text(s3, FOLDER + "errors.jsonl").lines().toList());
        assertThat(finalLines).hasSize(LINES);
        for (String text : partialContent.values()) {
            assertThat(finalLines).containsAll(text.lines().toList());
        }
    }

    private static List<String> keys(S3Client s3) {
        List<String> keys = new ArrayList<>();
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(INGEST).prefix("results/"))
                .contents()) {
            keys.add(object.key());
        }
        return keys;
    }

    private static String text(S3Client s3, String key) {
        try {
            return s3.getObjectAsBytes(b -> b.bucket(INGEST).key(key)).asUtf8String();
        } catch (NoSuchKeyException gone) {
            return null;
        }
    }
}
