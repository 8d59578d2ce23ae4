package dev.openbatch.core.images;

import java.io.IOException;
import java.io.InputStream;

/**
 * An image that could not be had. The reason is shown to the user in the error file, so it names
 * what went wrong and never credentials, internal addresses or an upstream's own error text.
 */
public final class ImageUnavailable extends Exception {

    private static final long serialVersionUID = 1L;

    /** What kind of failure, which decides the wording and code of the line's error. */
    public enum Kind {
        /** The image could not be fetched (no such object, denied, blocked, bad URL, too big...). */
        UNAVAILABLE,
        /** Fetching it took longer than allowed. */
        TIMEOUT,
        /** The bytes arrived but are not a PNG, JPEG, GIF or WebP image. */
        NOT_AN_IMAGE
    }

    private final Kind kind;
    private final boolean transientFailure;

    private ImageUnavailable(Kind kind, String reason, boolean transientFailure) {
        super(reason, null, false, false);
        this.kind = kind;
        this.transientFailure = transientFailure;
    }

    /** A failure that trying again will not mend. */
    public static ImageUnavailable because(String reason) {
        return new ImageUnavailable(Kind.UNAVAILABLE, reason, false);
    }

    /** A failure that may pass: a 5xx, a throttle, a dropped connection. */
    public static ImageUnavailable transientFailure(String reason) {
        return new ImageUnavailable(Kind.UNAVAILABLE, reason, true);
    }

    public static ImageUnavailable timeout() {
        return new ImageUnavailable(Kind.TIMEOUT, "the download took too long", false);
    }

    public static ImageUnavailable notAnImage() {
        return new ImageUnavailable(Kind.NOT_AN_IMAGE, "the bytes are not a PNG, JPEG, GIF or WebP image", false);
    }

    public static ImageUnavailable tooLarge(long maxBytes) {
        return because("the image is larger than " + Sizes.describe(maxBytes));
    }

    /** A URL whose scheme no source serves, first given or reached by a redirect. */
    public static ImageUnavailable unsupportedScheme() {
        return because("only s3://, https:// and data: image URLs are supported");
    }

    /** Reads a stream to its end, refusing it as {@link #tooLarge} past {@code maxBytes}: never more is held. */
    public static byte[] readAtMost(InputStream in, long maxBytes) throws IOException, ImageUnavailable {
        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        if (bytes.length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        return bytes;
    }

    public Kind kind() {
        return kind;
    }

    public boolean isTransient() {
        return transientFailure;
    }

    /** The reason, fit to follow a colon in a sentence. */
    public String reason() {
        return getMessage();
    }

    /** Byte counts as people read them. */
    static final class Sizes {
        private Sizes() {}

        static String describe(long bytes) {
            if (bytes % (1024 * 1024) == 0) {
                return bytes / (1024 * 1024) + " MiB";
            }
            return bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " bytes";
        }
    }
}
