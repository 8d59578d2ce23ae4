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
        Map<String, Lease> live = live(now, holder);
        Lease mine = holders.get(holder);
        long since = mine != null ? mine.since() : now;
        Map<String, Lease> all = new LinkedHashMap<>(live);
        all.put(holder, new Lease(batchId, wanted, 0, since, 0));
        int target = targets(cap, all).getOrDefault(holder, 0);
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
