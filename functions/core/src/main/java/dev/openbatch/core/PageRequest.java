package dev.openbatch.core;

/**
 * Which page of a listing to read.
 *
 * @param after      the cursor: only items beyond this id, in the listing's order; null for the first page
 * @param limit      the page size
 * @param descending newest first when true
 */
public record PageRequest(String after, int limit, boolean descending) {

    /** The page size asked for, or the default; outside 1..max it is a 400 naming {@code limit}. */
    public static int limit(Integer requested, int byDefault, int max) {
        int size = requested == null ? byDefault : requested;
        if (size < 1 || size > max) {
            throw ApiException.invalid(
                    "Invalid 'limit': expected an integer between 1 and " + max + ", but got " + size + " instead.",
                    "limit",
                    "invalid_value");
        }
        return size;
    }

    public PageRequest {
        after = after == null || after.isEmpty() ? null : after;
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
    }
}
