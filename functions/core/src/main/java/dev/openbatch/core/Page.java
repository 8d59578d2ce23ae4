package dev.openbatch.core;

import java.util.List;

/**
 * One page of a listing, newest first unless asked otherwise.
 *
 * @param items   at most the page size
 * @param hasMore whether a further page exists
 */
public record Page<T>(List<T> items, boolean hasMore) {

    public Page {
        items = List.copyOf(items);
    }
}
