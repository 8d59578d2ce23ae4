package dev.openbatch.core;

/**
 * Which page of a listing to read.
 *
 * @param after      the cursor: only items beyond this id, in the listing's order; null for the first page
 * @param limit      the page size
 * @param descending newest first when true
 */
public record PageRequest(String after, int limit, boolean descending) {

    public PageRequest {
        after = after == null || after.isEmpty() ? null : after;
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
    }
}
