package dev.openbatch.core.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The stats a chunk keeps for its batch's report: they add up across chunks, and stay small. */
class ReportStatsTest {

    @Test
    void histograms_mergedBucketByBucket_equalTheHistogramOfAllTheirLatencies() {
        SplittableRandom random = new SplittableRandom(7);
        LatencyHistogram a = LatencyHistogram.EMPTY;
        LatencyHistogram b = LatencyHistogram.EMPTY;
        LatencyHistogram all = LatencyHistogram.EMPTY;
        for (int i = 0; i < 2_000; i++) {
            long millis = random.nextLong(1, 60_000);
            if (i % 3 == 0) {
                a = a.plus(millis);
            } else {
                b = b.plus(millis);
            }
            all = all.plus(millis);
        }

        assertThat(a.plus(b)).isEqualTo(all);
        assertThat(b.plus(a)).isEqualTo(all);
        assertThat(all.buckets()).hasSizeLessThanOrEqualTo(LatencyHistogram.BUCKETS);
    }

    @Test
    void aPercentile_isWithinABucketOfTheExactOne_andNeverAboveTheLargest() {
        List<Long> latencies = new ArrayList<>();
        LatencyHistogram histogram = LatencyHistogram.EMPTY;
        for (long millis = 100; millis <= 1_099; millis++) {
            latencies.add(millis);
            histogram = histogram.plus(millis);
        }

        for (double fraction : new double[] {0.5, 0.9, 0.99}) {
            long exact = latencies.get((int) Math.ceil(fraction * latencies.size()) - 1);
            assertThat(histogram.percentile(fraction))
                    .as("p%.0f", fraction * 100)
                    .isBetween(exact, (long) Math.ceil(exact * Math.pow(2, 0.25)));
        }
        assertThat(histogram.percentile(1.0)).isEqualTo(1_099);
        assertThat(histogram.maxMs()).isEqualTo(1_099);
        assertThat(LatencyHistogram.EMPTY.percentile(0.5)).isZero();
    }

    @Test
    void aTimeline_ofAnHoursLines_coarsensToAtMostItsBound_keepingEveryCount() {
        Map<Long, Timeline.Point> perSecond = new java.util.TreeMap<>();
        for (long second = 1_000_000; second < 1_003_600; second++) {
            perSecond.put(second, new Timeline.Point(2, 1, 3));
        }

        Timeline timeline = Timeline.perSecond(perSecond);

        assertThat(timeline.points()).hasSizeLessThanOrEqualTo(Timeline.MAX_POINTS);
        assertThat(Long.bitCount(timeline.intervalSeconds()))
                .as("a power of two")
                .isOne();
        assertThat(timeline.points().values().stream()
                        .mapToLong(Timeline.Point::completed)
                        .sum())
                .isEqualTo(7_200);
        assertThat(timeline.points().keySet()).allMatch(at -> at % timeline.intervalSeconds() == 0);
    }

    @Test
    void timelinesOfDifferentIntervals_addUpAtTheLongerOne() {
        Timeline fine = Timeline.perSecond(Map.of(10L, new Timeline.Point(1, 0, 1), 13L, new Timeline.Point(0, 1, 1)));
        Timeline coarse = new Timeline(8, Map.of(8L, new Timeline.Point(5, 0, 5)));

        Timeline sum = fine.plus(coarse);

        assertThat(sum.intervalSeconds()).isEqualTo(8);
        assertThat(sum.points()).containsExactlyEntriesOf(Map.of(8L, new Timeline.Point(6, 1, 7)));
    }

    @Test
    void errorCodesAndModels_staysWithinTheirBounds_withTheRestCountedAsOther() {
        ChunkStats.Builder builder = new ChunkStats.Builder();
        for (int i = 0; i < 300; i++) {
            builder.line(false, errorLine("r" + i, "code_" + (i % 50), 400), Batch.Usage.ZERO, null);
        }
        for (int i = 0; i < 100; i++) {
            builder.line(true, Json.MAPPER.createObjectNode(), Batch.Usage.of(1, 0, 2, 0, 3), trace("model-" + i % 30));
        }

        ChunkStats stats = builder.build();
        ChunkStats both = stats.plus(stats);

        assertThat(both.errors()).hasSize(ChunkStats.MAX_CODES);
        assertThat(both.errors())
                .allSatisfy(e -> assertThat(e.examples()).hasSizeLessThanOrEqualTo(ChunkStats.MAX_EXAMPLES));
        assertThat(both.errors().stream()
                        .mapToLong(ChunkStats.ErrorCount::count)
                        .sum())
                .isEqualTo(600);
        assertThat(both.errors().getLast().code()).isEqualTo(ChunkStats.OTHER);
        assertThat(both.usage()).hasSize(ChunkStats.MAX_MODELS);
        assertThat(both.usage().stream()
                        .mapToLong(ChunkStats.ModelUsage::requests)
                        .sum())
                .isEqualTo(200);
        assertThat(both.usage().stream().mapToLong(u -> u.usage().totalTokens()).sum())
                .isEqualTo(600);
        assertThat(both.completed()).isEqualTo(200);
        assertThat(both.failed()).isEqualTo(600);
    }

    @Test
    void stats_roundTripThroughJson() {
        ChunkStats stats = new ChunkStats.Builder()
                .line(false, errorLine("r1", "invalid_value", 400), Batch.Usage.ZERO, trace("m"))
                .line(true, Json.MAPPER.createObjectNode(), Batch.Usage.of(1, 0, 2, 0, 3), trace("m"))
                .run(1_500, 2048, new Calls(3, 2, 1, 1))
                .build();

        assertThat(Json.MAPPER.convertValue(Json.MAPPER.valueToTree(stats), ChunkStats.class))
                .isEqualTo(stats);
        assertThat(stats.workerGbSeconds()).as("1.5 s at 2 GB").isEqualTo(3.0);
    }

    private static JsonNode errorLine(String customId, String code, int status) {
        try {
            return Json.MAPPER.readTree("{\"id\":\"batch_req_1\",\"custom_id\":\"" + customId
                    + "\",\"response\":{\"status_code\":" + status
                    + ",\"request_id\":\"r\",\"body\":{\"error\":{\"message\":\"no\",\"code\":\"" + code
                    + "\"}}},\"error\":null}");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static ChunkStats.LineTraceView trace(String model) {
        return new ChunkStats.LineTraceView() {
            @Override
            public String model() {
                return model;
            }

            @Override
            public int attempts() {
                return 2;
            }

            @Override
            public List<String> retried() {
                return List.of("429");
            }

            @Override
            public long endpointMillis() {
                return 30;
            }

            @Override
            public Long finalMillis() {
                return 20L;
            }

            @Override
            public long startedMillis() {
                return 1_000_000;
            }

            @Override
            public long endedMillis() {
                return 1_002_000;
            }
        };
    }
}
