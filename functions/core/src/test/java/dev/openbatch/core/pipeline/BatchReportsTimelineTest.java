package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.core.report.BatchReport;
import dev.openbatch.core.report.Timeline;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A report's timeline: from the batch's creation to its end, at most 120 intervals, lines in flight at each end. */
class BatchReportsTimelineTest {

    @Test
    void aShortBatch_getsOneSecondIntervals_withTheLinesInFlightAtEachEnd() {
        Timeline lines = Timeline.perSecond(Map.of(
                101L, new Timeline.Point(0, 0, 3),
                102L, new Timeline.Point(1, 0, 0),
                104L, new Timeline.Point(1, 1, 0)));

        BatchReport.Timeline timeline = BatchReports.timeline(100, 105, lines);

        assertThat(timeline.intervalSeconds()).isEqualTo(1);
        assertThat(timeline.start()).isEqualTo(100);
        assertThat(timeline.intervals())
                .containsExactly(
                        new BatchReport.Interval(100, 0, 0, 0),
                        new BatchReport.Interval(101, 0, 0, 3),
                        new BatchReport.Interval(102, 1, 0, 2),
                        new BatchReport.Interval(103, 0, 0, 2),
                        new BatchReport.Interval(104, 1, 1, 0),
                        new BatchReport.Interval(105, 0, 0, 0));
    }

    @Test
    void aDayLongBatch_getsAtMost120Intervals_thatStillHoldEveryLine() {
        long created = 1_764_680_000L;
        Map<Long, Timeline.Point> perSecond = new java.util.TreeMap<>();
        for (long second = created; second < created + 86_400; second += 7) {
            perSecond.put(second, new Timeline.Point(1, 0, 1));
        }

        BatchReport.Timeline timeline = BatchReports.timeline(created, created + 86_400, Timeline.perSecond(perSecond));

        assertThat(timeline.intervals()).hasSizeLessThanOrEqualTo(BatchReports.MAX_INTERVALS);
        assertThat(timeline.start()).isLessThanOrEqualTo(created);
        assertThat(timeline.start() + timeline.intervals().size() * timeline.intervalSeconds())
                .isGreaterThan(created + 86_400);
        assertThat(timeline.intervals().stream()
                        .mapToLong(BatchReport.Interval::completed)
                        .sum())
                .isEqualTo(perSecond.size());
        assertThat(timeline.intervals()).allMatch(i -> i.inFlight() == 0);
    }
}
