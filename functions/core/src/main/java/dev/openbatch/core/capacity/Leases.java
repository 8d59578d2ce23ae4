package dev.openbatch.core.capacity;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One job's capacity as leased to the sandboxes running its chunks: what a {@link CapacityStore}
 * keeps, one record per job, written only over the version it was read at. Every write keeps the
 * sum of the live leases' permits within the job's concurrency; a lease not renewed by its expiry
 * counts for nothing, so a dead sandbox's permits come back by themselves.
 *
 * <p>Who should have how many is max-min fair, first among the batches that want capacity, then
 * among each batch's holders: a 50-line batch beside a 50,000-line one gets half the endpoint, not
 * a share per chunk. A holder takes only what the others have left ({@code cap - their permits});
 * the others give back what exceeds their fair share when they renew, so a newcomer gets its share
 * within one renewal period.
 *
 * @param version counts the writes; 0 for a job never leased
 * @param holders the leases by holder (a sandbox's claim for one batch)
 */
public record Leases(long version, Map<String, Lease> holders) {

    public static final Leases NONE = new Leases(0, Map.of());

    public Leases {
        holders = Map.copyOf(holders);
    }

    /**
     * One holder's lease.
     *
     * @param batchId   the batch its requests are for
     * @param wanted    how many requests it could keep in flight: its lines not yet ended, at most the
     *                  job's concurrency
     * @param permits   how many it may have in flight, as far as the others are concerned: never less
     *                  than it has in flight
     * @param since     when it joined (epoch milliseconds): the earlier holder keeps the odd permit
     * @param expiresAt when it counts for nothing any more unless renewed (epoch milliseconds)
     */
    public record Lease(String batchId, int wanted, int permits, long since, long expiresAt) {

        public Lease {
            Objects.requireNonNull(batchId, "batchId");
            if (wanted < 0 || permits < 0) {
                throw new IllegalArgumentException("a lease wants and holds no negative number of permits");
            }
        }
    }

    /**
     * What a holder's write decided.
     *
     * @param next    the record to write, or null when a newcomer is refused (nothing to write)
     * @param granted how many requests the holder may have in flight from now on
     * @param target  its fair share: what it will have once the others gave back theirs
     */
    public record Renewal(Leases next, int granted, int target) {

        public boolean refused() {
            return next == null;
        }
    }

    /**
     * The holders a batch's first holder expects beside it: the Map starts up to {@code count} of
     * the batch's chunks at once, and their sandboxes join within moments of one another. A holder
     * alone takes all it wants, and what it has sent comes back only a request's time later (seconds,
     * on a GPU), so siblings joining a moment after it would wait that long with the endpoint half
     * idle, and the first chunk would end well ahead of the others. So while its batch's first
     * holder is younger than {@code withinMillis}, each sibling that has not joined yet counts as
     * wanting what the holder wants, and the first takes only its part.
     *
     * @param count        holders the batch expects at once, the joining one included (1: none)
     * @param withinMillis how long after the batch's first holder joined the others are waited for
     */
    public record Siblings(int count, long withinMillis) {

        public static final Siblings NONE = new Siblings(1, 0);

        public Siblings {
            if (count < 1) {
                throw new IllegalArgumentException("a holder is its own first sibling: count must be at least 1");
            }
        }
    }

    /** The permits of the leases live at {@code now}. */
    public int leased(long now) {
        return holders.values().stream()
                .filter(l -> l.expiresAt() > now)
                .mapToInt(Lease::permits)
                .sum();
    }

    /**
     * The holder renews its lease (or takes one, if it has none): says what it wants and has in
     * flight, and gets its fair share as far as the others leave it room. Leases expired at
     * {@code now} are dropped.
     *
     * @param admitting true for a newcomer that would rather not join than join with less than
     *                  {@code minShare}, unless it is its batch's only holder; it is refused with no
     *                  share at all either way
     */
    public Renewal renew(
            String holder,
            String batchId,
            int wanted,
            int inFlight,
            int cap,
            int minShare,
            long now,
            long ttlMillis,
            boolean admitting) {
        return renew(holder, batchId, wanted, inFlight, cap, minShare, now, ttlMillis, admitting, Siblings.NONE);
    }

    /**
     * As {@link #renew(String, String, int, int, int, int, long, long, boolean)}, leaving room for
     * the {@code siblings} the holder's batch is about to have.
     */
    public Renewal renew(
            String holder,
            String batchId,
            int wanted,
            int inFlight,
            int cap,
            int minShare,
            long now,
            long ttlMillis,
            boolean admitting,
            Siblings siblings) {
        Map<String, Lease> live = live(now, holder);
        Lease mine = holders.get(holder);
        long since = mine != null ? mine.since() : now;
        Map<String, Lease> all = new LinkedHashMap<>(live);
        all.put(holder, new Lease(batchId, wanted, 0, since, 0));
        Map<String, Lease> counted = withAwaitedSiblings(all, batchId, wanted, cap, minShare, now, siblings);
        int target = targets(cap, counted).getOrDefault(holder, 0);
        if (admitting && mine == null && wanted > 0) {
            boolean batchHasOthers =
                    live.values().stream().anyMatch(l -> l.batchId().equals(batchId));
            if (target == 0 || (batchHasOthers && target < Math.min(cap, minShare))) {
                return new Renewal(null, 0, target);
            }
        }
        int free = cap - live.values().stream().mapToInt(Lease::permits).sum();
        int granted = Math.max(0, Math.min(target, free));
        // What is in flight stays counted until it has come back, so that a holder that shrinks never
        // lets the others start more than the endpoint may take.
        int permits = Math.max(granted, inFlight);
        all.put(holder, new Lease(batchId, wanted, permits, since, now + ttlMillis));
        return new Renewal(new Leases(version + 1, all), granted, target);
    }

    /**
     * The leases with a stand-in for each sibling of the batch not yet joined, while the batch's
     * first holder is young; at most as many siblings as each could get {@code minShare} of, so that
     * the room left is never too small for the sibling to be let in.
     */
    private static Map<String, Lease> withAwaitedSiblings(
            Map<String, Lease> leases, String batchId, int wanted, int cap, int minShare, long now, Siblings siblings) {
        int expected = Math.min(siblings.count(), Math.max(1, cap / Math.max(1, minShare)));
        List<Lease> batch = leases.values().stream()
                .filter(l -> l.batchId().equals(batchId))
                .toList();
        long first = batch.stream().mapToLong(Lease::since).min().orElse(now);
        if (batch.size() >= expected || now - first >= siblings.withinMillis()) {
            return leases;
        }
        Map<String, Lease> counted = new LinkedHashMap<>(leases);
        for (int i = batch.size(); i < expected; i++) {
            // Later than any holder there, so that the real ones keep the odd permits.
            counted.put("awaited sibling " + i, new Lease(batchId, wanted, 0, now + 1, 0));
        }
        return counted;
    }

    /** The holder is done: its lease goes, and with it the leases expired at {@code now}. */
    public Leases release(String holder, long now) {
        return new Leases(version + 1, live(now, holder));
    }

    private Map<String, Lease> live(long now, String except) {
        Map<String, Lease> live = new LinkedHashMap<>();
        holders.forEach((key, lease) -> {
            if (!key.equals(except) && lease.expiresAt() > now) {
                live.put(key, lease);
            }
        });
        return live;
    }

    /**
     * Each holder's fair share of {@code cap}: max-min fair among the batches by what their holders
     * want together, then among each batch's holders by what each wants.
     */
    static Map<String, Integer> targets(int cap, Map<String, Lease> leases) {
        Map<String, List<String>> byBatch = new HashMap<>();
        Map<String, Long> batchSince = new HashMap<>();
        Map<String, Integer> batchWanted = new HashMap<>();
        leases.forEach((holder, lease) -> {
            byBatch.computeIfAbsent(lease.batchId(), b -> new ArrayList<>()).add(holder);
            batchSince.merge(lease.batchId(), lease.since(), Math::min);
            batchWanted.merge(lease.batchId(), lease.wanted(), Integer::sum);
        });
        List<String> batches = new ArrayList<>(byBatch.keySet());
        batches.sort(Comparator.<String>comparingLong(batchSince::get).thenComparing(Comparator.naturalOrder()));
        Map<String, Integer> batchShares = waterFill(cap, batches, batchWanted);

        Map<String, Integer> targets = new HashMap<>();
        for (String batch : batches) {
            List<String> holders = byBatch.get(batch);
            holders.sort(Comparator.<String>comparingLong(h -> leases.get(h).since())
                    .thenComparing(Comparator.naturalOrder()));
            Map<String, Integer> wanted = new HashMap<>();
            holders.forEach(h -> wanted.put(h, leases.get(h).wanted()));
            targets.putAll(waterFill(batchShares.get(batch), holders, wanted));
        }
        return targets;
    }

    /**
     * Shares {@code total} out max-min fairly: equal shares, a claimant wanting less than its share
     * gets what it wants and the rest is shared again; a remainder too small to share goes one each
     * to the first claimants in {@code order}.
     */
    static Map<String, Integer> waterFill(int total, List<String> order, Map<String, Integer> wanted) {
        Map<String, Integer> shares = new HashMap<>();
        order.forEach(k -> shares.put(k, 0));
        List<String> open =
                new ArrayList<>(order.stream().filter(k -> wanted.get(k) > 0).toList());
        int remaining = total;
        while (remaining > 0 && !open.isEmpty()) {
            int each = remaining / open.size();
            if (each == 0) {
                for (int i = 0; i < remaining; i++) {
                    shares.merge(open.get(i), 1, Integer::sum);
                }
                break;
            }
            for (String k : open) {
                int give = Math.min(each, wanted.get(k) - shares.get(k));
                shares.merge(k, give, Integer::sum);
                remaining -= give;
            }
            open.removeIf(k -> shares.get(k) >= wanted.get(k));
        }
        return shares;
    }
}
