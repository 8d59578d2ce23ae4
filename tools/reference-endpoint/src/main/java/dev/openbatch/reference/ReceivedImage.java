package dev.openbatch.reference;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.openbatch.core.images.ImageProbe;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * One image as the reference endpoint received it, described from its decoded bytes.
 *
 * @param mediaType         read from the bytes when they are a known format, otherwise as the data: URI declared it
 * @param declaredMediaType what the data: URI declared, present only when the bytes say otherwise
 * @param width             in pixels, absent when the format is not one the endpoint can read
 * @param height            in pixels, absent likewise
 * @param bytes             the size of the decoded image
 * @param sha256            hex SHA-256 of the decoded image, so a test can tell exactly which image arrived
 * @param detail            the {@code detail} the request asked for, if it did
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record ReceivedImage(
        @JsonProperty("media_type") String mediaType,
        @JsonProperty("declared_media_type") String declaredMediaType,
        @JsonProperty("width") Integer width,
        @JsonProperty("height") Integer height,
        @JsonProperty("bytes") long bytes,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("detail") String detail) {

    /**
     * Decodes an image given as a {@code data:} URI. Any other URL is refused: the service resolves image
     * URLs before it calls an inference endpoint, so a URL arriving here is a bug to expose, not to fetch.
     *
     * @param param where in the request the URL was, for the error
     */
    static ReceivedImage fromUrl(String url, String detail, String param) {
        if (url == null) {
            throw Refusal.invalidRequest(
                    "The reference endpoint only accepts images as data: URIs, but this image"
                            + " has no URL: the service must resolve images before calling the endpoint.",
                    param);
        }
        if (!url.regionMatches(true, 0, "data:", 0, 5)) {
            int colon = url.indexOf(':');
            String scheme = colon > 0 && colon < 16 ? url.substring(0, colon + 1) : "a non-data:";
            throw Refusal.invalidRequest(
                    "The reference endpoint only accepts images as data: URIs, but got a " + scheme
                            + " URL: the service must resolve image URLs before calling the endpoint.",
                    param);
        }
        int comma = url.indexOf(',');
        if (comma < 0) {
            throw Refusal.invalidRequest("The image data: URI has no comma before its data.", param);
        }
        String header = url.substring(5, comma);
        if (!header.toLowerCase(Locale.ROOT).endsWith(";base64")) {
            throw Refusal.invalidRequest("The image data: URI is not base64-encoded (data:<type>;base64,...).", param);
        }
        byte[] image;
        try {
            image = Base64.getDecoder().decode(url.substring(comma + 1));
        } catch (IllegalArgumentException e) {
            throw Refusal.invalidRequest("The image data: URI does not hold valid base64: " + e.getMessage(), param);
        }
        String declared = header.substring(0, header.indexOf(';')).toLowerCase(Locale.ROOT);
        Optional<ImageProbe> probe = ImageProbe.of(image);
        String mediaType = probe.map(ImageProbe::mediaType).orElse(declared);
        return new ReceivedImage(
                mediaType,
                declared.equals(mediaType) ? null : declared,
                probe.map(ImageProbe::width).orElse(null),
                probe.map(ImageProbe::height).orElse(null),
                image.length,
                Sha256.hex(image),
                detail);
    }

    /** One line for the assistant text, e.g. {@code image/png 64x32, 1234 bytes, sha256 ab12…, detail low}. */
    String describe() {
        StringBuilder line = new StringBuilder(mediaType.isEmpty() ? "untyped data" : mediaType);
        if (declaredMediaType != null) {
            line.append(" (declared ")
                    .append(declaredMediaType.isEmpty() ? "no type" : declaredMediaType)
                    .append(')');
        }
        line.append(width == null ? ", size unknown" : " " + width + "x" + height);
        line.append(", ").append(bytes).append(" bytes, sha256 ").append(sha256);
        if (detail != null) {
            line.append(", detail ").append(detail);
        }
        return line.toString();
    }
}
