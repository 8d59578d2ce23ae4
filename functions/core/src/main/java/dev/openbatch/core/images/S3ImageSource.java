package dev.openbatch.core.images;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Images by {@code s3://bucket/key}, from the buckets this deployment is configured to read and no
 * other: the service's credentials can read its own data bucket, which a user's URL must never reach.
 */
public final class S3ImageSource {

    /** Reads objects from S3, in whatever region their bucket lives. */
    public interface Objects {
        /**
         * The object's bytes.
         *
         * @param expectedOwner the account that must own the bucket, if configured; S3 refuses otherwise
         * @throws ImageUnavailable when the object is missing, access is denied, or it exceeds {@code maxBytes}
         */
        byte[] read(String bucket, String key, Optional<String> expectedOwner, long maxBytes)
                throws ImageUnavailable, InterruptedException;
    }

    /**
     * A bucket images may be read from.
     *
     * @param name          the bucket's name
     * @param expectedOwner the 12-digit account id that must own it, if given
     */
    public record Bucket(String name, Optional<String> expectedOwner) {

        /** {@code name} or {@code name:account-id}. */
        public static Bucket parse(String text) {
            int colon = text.indexOf(':');
            return colon < 0
                    ? new Bucket(text.trim(), Optional.empty())
                    : new Bucket(
                            text.substring(0, colon).trim(),
                            Optional.of(text.substring(colon + 1).trim()));
        }

        /** A comma-separated list of {@link #parse} forms; blank means none. */
        public static List<Bucket> parseList(String text) {
            return text == null
                    ? List.of()
                    : Arrays.stream(text.split(","))
                            .filter(s -> !s.isBlank())
                            .map(Bucket::parse)
                            .toList();
        }
    }

    private static final String SCHEME = "s3://";

    private final Objects objects;
    private final Map<String, Bucket> allowed;

    public S3ImageSource(Objects objects, Collection<Bucket> allowed) {
        this.objects = objects;
        this.allowed = allowed.stream().collect(Collectors.toUnmodifiableMap(Bucket::name, Function.identity()));
    }

    public boolean handles(String url) {
        return url.regionMatches(true, 0, SCHEME, 0, SCHEME.length());
    }

    /** The object's bytes. Keys are taken as written, not percent-decoded, as the S3 console copies them. */
    public byte[] fetch(String url, long maxBytes) throws ImageUnavailable, InterruptedException {
        String rest = url.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            throw ImageUnavailable.because("an s3:// URL names a bucket and a key, as in s3://bucket/key");
        }
        String bucket = rest.substring(0, slash).toLowerCase(Locale.ROOT);
        Bucket permitted = allowed.get(bucket);
        if (permitted == null) {
            throw ImageUnavailable.because("the bucket is not one this deployment may read images from");
        }
        return objects.read(bucket, rest.substring(slash + 1), permitted.expectedOwner(), maxBytes);
    }
}
