package dev.openbatch.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdsTest {

    @Test
    void ids_sortByCreationTime_andLookLikeOpenAis() {
        List<String> ids = new ArrayList<>();
        for (long millis : new long[] {1_000L, 61_999L, 1_700_000_000_000L, 1_800_000_000_000L}) {
            ids.add(new Ids(Clock.fixed(Instant.ofEpochMilli(millis), ZoneOffset.UTC)).file());
        }
        assertThat(ids).isSorted();
        assertThat(ids).allSatisfy(id -> assertThat(id).matches("file-[0-9A-Za-z]{24}"));
        assertThat(new Ids(Clock.systemUTC()).batch()).matches("batch_[0-9A-Za-z]{24}");
        assertThat(new Ids(Clock.systemUTC()).upload()).matches("upload_[0-9A-Za-z]{24}");
        assertThat(new Ids(Clock.systemUTC()).part()).matches("part_[0-9A-Za-z]{24}");
    }

    @Test
    void ids_ofTheSameMillisecond_differ() {
        Ids ids = new Ids(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
        assertThat(ids.batch()).isNotEqualTo(ids.batch());
    }

    @Test
    void derivedIds_areTheSameForTheSameSourceAndTime_andDifferOtherwise() {
        Instant at = Instant.parse("2026-11-21T12:00:00Z");
        String batch = Ids.batchOf(at, "s3://b/k#etag:1");

        assertThat(Ids.batchOf(at, "s3://b/k#etag:1")).isEqualTo(batch).matches("batch_[0-9A-Za-z]{24}");
        assertThat(Ids.batchOf(at, "s3://b/k#etag:2")).isNotEqualTo(batch);
        assertThat(Ids.batchOf(at.plusSeconds(1), "s3://b/k#etag:1")).isNotEqualTo(batch);
        assertThat(Ids.fileOf(at, "s3://b/k#etag:1"))
                .matches("file-[0-9A-Za-z]{24}")
                .isNotEqualTo("file-" + batch.substring("batch_".length()));
        assertThat(List.of(Ids.batchOf(at.minusMillis(1), "z"), batch, Ids.batchOf(at.plusMillis(1), "a")))
                .isSorted();
        assertThat(batch)
                .startsWith(new Ids(Clock.fixed(at, ZoneOffset.UTC)).batch().substring(0, 14));
    }
}
