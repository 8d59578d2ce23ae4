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
}
