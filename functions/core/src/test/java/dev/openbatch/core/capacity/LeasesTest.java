package dev.openbatch.core.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LeasesTest {

    private static final long TTL = 10_000;

    @Test
    void targets_shareTheCapAmongBatchesFirst_thenAmongEachBatchsHolders() {
        Map<String, Leases.Lease> leases = new LinkedHashMap<>();
        for (int i = 0; i < 8; i++) {
            leases.put("big-" + i, new Leases.Lease("batch_big", 64, 0, i, TTL));
        }
        leases.put("small", new Leases.Lease("batch_small", 50, 0, 100, TTL));

        Map<String, Integer> targets = Leases.targets(64, leases);

        assertThat(targets.get("small")).as("a batch's share, not a chunk's").isEqualTo(32);
        for (int i = 0; i < 8; i++) {
            assertThat(targets.get("big-" + i)).isEqualTo(4);
        }
    }

    @Test
    void targets_giveWhatABatchDoesNotWant_toTheOthers_andTheOddPermitToTheEarliest() {
        Map<String, Leases.Lease> leases = new LinkedHashMap<>();
        leases.put("a", new Leases.Lease("batch_a", 64, 0, 1, TTL));
        leases.put("b", new Leases.Lease("batch_b", 64, 0, 2, TTL));
        leases.put("tail", new Leases.Lease("batch_c", 3, 0, 3, TTL));

        Map<String, Integer> targets = Leases.targets(64, leases);

        assertThat(targets).containsEntry("tail", 3).containsEntry("a", 31).containsEntry("b", 30);
    }

    @Test
    void aNewcomer_takesOnlyWhatTheOthersLeft_andGetsItsShareOnceTheyRenew() {
        Leases first =
                Leases.NONE.renew("one", "batch_a", 8, 0, 8, 1, 0, TTL, true).next();
        assertThat(first.holders().get("one").permits()).isEqualTo(8);

        Leases.Renewal newcomer = first.renew("two", "batch_b", 8, 0, 8, 1, 10, TTL, true);
        assertThat(newcomer.granted()).as("all is taken").isZero();
        assertThat(newcomer.target()).isEqualTo(4);

        Leases.Renewal shrunk = newcomer.next().renew("one", "batch_a", 8, 8, 8, 1, 20, TTL, false);
        assertThat(shrunk.granted()).isEqualTo(4);
        assertThat(shrunk.next().holders().get("one").permits())
                .as("the 8 still in flight stay counted until they come back")
                .isEqualTo(8);
        Leases drained = shrunk.next()
                .renew("one", "batch_a", 8, 4, 8, 1, 30, TTL, false)
                .next();

        Leases.Renewal grown = drained.renew("two", "batch_b", 8, 0, 8, 1, 40, TTL, false);
        assertThat(grown.granted()).isEqualTo(4);
        assertThat(grown.next().leased(40)).isEqualTo(8);
    }

    @Test
    void aNewcomerToABatchWithHolders_isRefusedBelowTheMinimumShare_butABatchsFirstHolderIsNot() {
        Leases leases =
                Leases.NONE.renew("one", "batch_a", 64, 0, 64, 8, 0, TTL, true).next();
        for (int i = 2; i <= 8; i++) {
            leases =
                    leases.renew("h" + i, "batch_a", 64, 0, 64, 8, i, TTL, true).next();
        }
        assertThat(leases.holders()).hasSize(8);

        assertThat(leases.renew("ninth", "batch_a", 64, 0, 64, 8, 100, TTL, true)
                        .refused())
                .as("a ninth worker would get 7 of 64")
                .isTrue();
        Leases.Renewal otherBatch = leases.renew("small", "batch_small", 50, 0, 64, 8, 100, TTL, true);
        assertThat(otherBatch.refused()).isFalse();
        assertThat(otherBatch.target()).isEqualTo(32);
    }

    @Test
    void aBatchsFirstHolder_leavesRoomForTheSiblingsTheMapStartsWithIt_forOneWindowOnly() {
        Leases.Siblings ten = new Leases.Siblings(10, 2_000);
        Leases.Renewal first = Leases.NONE.renew("one", "batch_a", 500, 0, 128, 8, 0, TTL, true, ten);
        assertThat(first.granted())
                .as("a tenth of 128, the odd permits its own")
                .isEqualTo(13);

        Leases leases = first.next();
        for (int i = 2; i <= 10; i++) {
            Leases.Renewal sibling = leases.renew("h" + i, "batch_a", 500, 0, 128, 8, 10L * i, TTL, true, ten);
            assertThat(sibling.granted())
                    .as("sibling %d joins with its share at once, nothing to wait for", i)
                    .isBetween(12, 13);
            leases = sibling.next();
        }
        assertThat(leases.leased(100)).isEqualTo(128);

        Leases.Renewal alone = Leases.NONE
                .renew("one", "batch_a", 500, 0, 128, 8, 0, TTL, true, ten)
                .next()
                .renew("one", "batch_a", 500, 13, 128, 8, 2_000, TTL, false, ten);
        assertThat(alone.granted())
                .as("siblings that did not come within the window are no longer waited for")
                .isEqualTo(128);
    }

    @Test
    void awaitedSiblings_areNeverSoManyThatOneWouldGetLessThanTheMinimumShare() {
        Leases.Renewal first =
                Leases.NONE.renew("one", "batch_a", 500, 0, 16, 8, 0, TTL, true, new Leases.Siblings(10, 2_000));
        assertThat(first.granted())
                .as("16 leaves room for one sibling of 8, not nine of 1")
                .isEqualTo(8);

        Leases.Renewal second =
                first.next().renew("two", "batch_a", 500, 0, 16, 8, 10, TTL, true, new Leases.Siblings(10, 2_000));
        assertThat(second.refused()).isFalse();
        assertThat(second.granted()).isEqualTo(8);
    }

    @Test
    void anExpiredLease_countsForNothing_andGoesWithTheNextWrite() {
        Leases dead =
                Leases.NONE.renew("dead", "batch_a", 8, 0, 8, 1, 0, TTL, true).next();

        Leases.Renewal before = dead.renew("alive", "batch_a", 8, 0, 8, 1, TTL - 1, TTL, true);
        Leases.Renewal after = dead.renew("alive", "batch_a", 8, 0, 8, 1, TTL, TTL, true);

        assertThat(before.granted()).isZero();
        assertThat(after.granted()).isEqualTo(8);
        assertThat(after.next().holders()).containsOnlyKeys("alive");
    }

    @Test
    void theLiveLeases_neverAddUpToMoreThanTheCap_whateverTheHoldersDo() {
        SplittableRandom random = new SplittableRandom(13);
        int cap = 16;
        List<String> holders = List.of("a", "b", "c", "d", "e", "f");
        Map<String, Integer> granted = new HashMap<>();
        Map<String, Integer> inFlight = new HashMap<>();
        Leases leases = Leases.NONE;
        long now = 0;
        for (int step = 0; step < 20_000; step++) {
            now += random.nextInt(500);
            String holder = holders.get(random.nextInt(holders.size()));
            // A holder whose lease lapsed stopped sending long before (its validity ends early); what
            // it still has in flight is within what it holds.
            Leases.Lease mine = leases.holders().get(holder);
            if (mine == null || mine.expiresAt() <= now) {
                granted.put(holder, 0);
                inFlight.put(holder, 0);
            }
            int sending = Math.min(granted.getOrDefault(holder, 0), random.nextInt(cap + 1));
            if (random.nextInt(10) == 0) {
                leases = leases.release(holder, now);
                granted.put(holder, 0);
                inFlight.put(holder, 0);
            } else {
                Leases.Renewal renewal = leases.renew(
                        holder,
                        "batch_" + random.nextInt(3),
                        random.nextInt(cap + 1),
                        sending,
                        cap,
                        1 + random.nextInt(4),
                        now,
                        TTL,
                        mine == null);
                if (!renewal.refused()) {
                    leases = renewal.next();
                    granted.put(holder, renewal.granted());
                    inFlight.put(holder, sending);
                    assertThat(leases.holders().get(holder).permits()).isGreaterThanOrEqualTo(sending);
                }
            }
            assertThat(leases.leased(now)).as("step " + step).isLessThanOrEqualTo(cap);
        }
    }
}
