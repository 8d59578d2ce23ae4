package dev.openbatch.core.images;

import java.util.Base64;
import java.util.Locale;

/** An image given inline as {@code data:image/...;base64,...}. */
final class DataUri {

    private DataUri() {}

    static boolean handles(String url) {
        return url.regionMatches(true, 0, "data:", 0, 5);
    }

    /** The decoded bytes; the declared type must be an image's, and the size below {@code maxBytes}. */
    static byte[] decode(String url, long maxBytes) throws ImageUnavailable {
        int comma = url.indexOf(',');
        if (comma < 0) {
            throw ImageUnavailable.because("a data: URI needs a comma before its data");
        }
        String header = url.substring(5, comma).toLowerCase(Locale.ROOT);
        if (!header.endsWith(";base64")) {
            throw ImageUnavailable.because("the data: URI is not base64-encoded (data:image/png;base64,...)");
        }
        if (!header.startsWith("image/")) {
            throw ImageUnavailable.because("the data: URI's media type is not an image type");
        }
        // Four characters carry three bytes: refuse an oversized image before decoding it.
        if ((long) (url.length() - comma - 1) / 4 * 3 > maxBytes + 3) {
            throw ImageUnavailable.tooLarge(maxBytes);
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(url.substring(comma + 1));
        } catch (IllegalArgumentException e) {
            throw ImageUnavailable.because("the data: URI does not hold valid base64");
        }
        if (bytes.length > maxBytes) {
            throw ImageUnavailable.tooLarge(maxBytes);
        }
        return bytes;
    }
}
