package dev.openbatch.core.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Lines started and ended, per interval of {@code intervalSeconds} — a power of two, each interval
 * starting at a multiple of it in epoch seconds — so that the timelines of any chunks add up once
 * both are brought to the longer of their intervals. An interval doubles whenever there would be more
 * than {@link #MAX_POINTS}, which keeps it small however long a chunk runs.
 *
 * @param intervalSeconds the length of an interval
 * @param points          what happened in each interval that saw anything, by its start
 */
public record Timeline(
        @JsonProperty("interval_seconds") long intervalSeconds,
        @JsonProperty("points") Map<Long, Point> points) {

    static final int MAX_POINTS = 240;

    public static final Timeline EMPTY = new Timeline(1, Map.of());

    /**
     * @param completed lines that ended in the output
     * @param failed    lines that ended in the errors
     * @param started   lines whose first request was sent (or which the service ended itself)
     */
    public record Point(
            @JsonProperty("completed") long completed,
            @JsonProperty("failed") long failed,
            @JsonProperty("started") long started) {

        Point plus(Point other) {
            return new Point(completed + other.completed, failed + other.failed, started + other.started);
        }
    }

    public Timeline {
        points = points == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(points));
    }

    /** A timeline of lines counted per second, by epoch second. */
    public static Timeline perSecond(Map<Long, Point> points) {
        return bounded(1, new TreeMap<>(points));
    }

    /** A line that started at {@code startedSecond} and ended then at {@code endedSecond}, epoch seconds. */
    public Timeline plus(long startedSecond, long endedSecond, boolean completed) {
        TreeMap<Long, Point> sum = new TreeMap<>(points);
        sum.merge(start(startedSecond, intervalSeconds), new Point(0, 0, 1), Point::plus);
        sum.merge(start(endedSecond, intervalSeconds), new Point(completed ? 1 : 0, completed ? 0 : 1, 0), Point::plus);
        return bounded(intervalSeconds, sum);
    }

    public Timeline plus(Timeline other) {
        long interval = Math.max(intervalSeconds, other.intervalSeconds);
        TreeMap<Long, Point> sum = new TreeMap<>(at(interval).points);
        other.at(interval).points.forEach((at, point) -> sum.merge(at, point, Point::plus));
        return bounded(interval, sum);
    }

    /** This timeline in intervals of {@code interval} seconds, a power of two no shorter than its own. */
    public Timeline at(long interval) {
        if (interval == intervalSeconds) {
            return this;
        }
        TreeMap<Long, Point> coarser = new TreeMap<>();
        points.forEach((at, point) -> coarser.merge(start(at, interval), point, Point::plus));
        return new Timeline(interval, coarser);
    }

    /** The start of the interval that holds {@code second}. */
    static long start(long second, long interval) {
        return Math.floorDiv(second, interval) * interval;
    }

    private static Timeline bounded(long interval, TreeMap<Long, Point> points) {
        Timeline timeline = new Timeline(interval, points);
        while (timeline.points.size() > MAX_POINTS) {
            timeline = timeline.at(timeline.intervalSeconds * 2);
        }
        return timeline;
    }
}
