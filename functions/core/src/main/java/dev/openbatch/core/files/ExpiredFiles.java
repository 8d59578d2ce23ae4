package dev.openbatch.core.files;

import java.util.List;

/**
 * The files whose {@code expires_at} has passed and which are still stored, for the sweeper to remove.
 * Reads refuse an expired file at once (see {@link Files#find}); this is how its record and bytes go.
 */
public interface ExpiredFiles {

    /** One expired file: its owner and id. */
    record Expired(String tenant, String fileId) {}

    /** At most {@code limit} files whose {@code expires_at} is at or before {@code now}, the longest expired first. */
    List<Expired> due(long now, int limit);

    /** No file ever expires: a store without expiring files. */
    ExpiredFiles NONE = (now, limit) -> List.of();
}
