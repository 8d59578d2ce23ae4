package dev.openbatch.core.fakes;

import dev.openbatch.core.AlreadyExists;
import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;

/** Records owned by tenants, kept in memory for core tests, with the repositories' semantics. */
final class InMemoryRecords<T> {

    private record Owned<T>(String tenant, T value) {}

    private final Map<String, Owned<T>> byId = new TreeMap<>();
    private final Function<T, String> id;

    InMemoryRecords(Function<T, String> id) {
        this.id = id;
    }

    /** Every record, with its owner, in id order. */
    synchronized java.util.List<Map.Entry<String, T>> all() {
        return byId.values().stream()
                .map(owned -> Map.entry(owned.tenant(), owned.value()))
                .toList();
    }

    synchronized void create(String tenant, T value) {
        if (byId.putIfAbsent(id.apply(value), new Owned<>(tenant, value)) != null) {
            throw new AlreadyExists(id.apply(value), "memory");
        }
    }

    /** Replaces a record's value, keeping its owner. */
    synchronized void replace(String key, T value) {
        Owned<T> owned = byId.get(key);
        byId.put(key, new Owned<>(owned.tenant(), value));
    }

    synchronized Optional<T> find(String tenant, String key) {
        Owned<T> owned = byId.get(key);
        return owned == null || !owned.tenant().equals(tenant) ? Optional.empty() : Optional.of(owned.value());
    }

    synchronized boolean delete(String tenant, String key) {
        return find(tenant, key).isPresent() && byId.remove(key) != null;
    }

    synchronized Page<T> list(String tenant, PageRequest page, Predicate<T> filter) {
        Comparator<String> order = page.descending() ? Comparator.reverseOrder() : Comparator.naturalOrder();
        List<T> matching = new ArrayList<>(byId.values().stream()
                .filter(o -> o.tenant().equals(tenant))
                .map(Owned::value)
                .filter(filter)
                .filter(v -> page.after() == null || order.compare(id.apply(v), page.after()) > 0)
                .sorted(Comparator.comparing(id, order))
                .toList());
        boolean more = matching.size() > page.limit();
        return new Page<>(more ? matching.subList(0, page.limit()) : matching, more);
    }

    synchronized int size() {
        return byId.size();
    }
}
