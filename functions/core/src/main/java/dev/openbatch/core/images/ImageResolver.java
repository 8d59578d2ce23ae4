package dev.openbatch.core.images;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.Json;
import dev.openbatch.core.pipeline.RequestBody;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;

/**
 * Turns every image a request references — {@code s3://}, {@code https://} or {@code data:} — into a
 * {@code data:} URI of checked image bytes before the request goes to the endpoint, which thus never
 * fetches a user's URL. {@code detail} and everything else pass through untouched. An image that
 * cannot be had fails its own line with a 400 that names the image and the reason.
 */
public final class ImageResolver {

    /**
     * Stands for an image in the serialised body until the image is spliced in: random per process,
     * so no user's text can be mistaken for it.
     */
    private static final String PLACEHOLDER = "openbatch-image-" + UUID.randomUUID() + "-";

    /**
     * Bounds that keep one request, and one chunk's worth of images, from growing without limit.
     *
     * @param maxImageBytes     one image, decoded (OpenAI's limit is 20 MB an image)
     * @param maxRequestBytes   all images of one request, decoded (OpenAI's is 50 MB a request)
     * @param cacheBytes        images kept per chunk for other lines that use the same URL
     * @param concurrentFetches downloads in flight at once per worker
     */
    public record Limits(long maxImageBytes, long maxRequestBytes, long cacheBytes, int concurrentFetches) {
        public static final Limits DEFAULT = new Limits(20L << 20, 50L << 20, 64L << 20, 32);
    }

    private final S3ImageSource s3;
    private final WebImageSource web;
    private final Limits limits;
    private final Semaphore fetches;

    public ImageResolver(S3ImageSource s3, WebImageSource web, Limits limits) {
        this.s3 = s3;
        this.web = web;
        this.limits = limits;
        this.fetches = new Semaphore(limits.concurrentFetches());
    }

    /** A resolver for the lines of one chunk, sharing what they fetch. */
    public Chunk forChunk() {
        return new Chunk();
    }

    /** A checked image, ready to send: its {@code data:} URI in ASCII, which JSON takes without escaping. */
    private record Image(long bytes, byte[] dataUri) {}

    /** The images of one chunk: a URL that many lines use is fetched once while it stays in the cache. */
    public final class Chunk {

        private final Map<String, CompletableFuture<Image>> cache = new LinkedHashMap<>(16, 0.75f, true);
        private long cachedBytes;

        private Chunk() {}

        /**
         * The body to send for a request to {@code endpoint}: the body as it came when it has no
         * images, otherwise the same with every image as a {@code data:} URI, spliced in by reference.
         *
         * @throws ApiException the line's 400: a malformed content part or an image that cannot be had
         */
        public RequestBody resolve(String endpoint, JsonNode body) throws InterruptedException {
            if (!ImageParts.carriesImages(endpoint)
                    || ImageParts.of(endpoint, body).isEmpty()) {
                return RequestBody.of(Json.write(body));
            }
            JsonNode copy = body.deepCopy();
            List<ImageParts.Part> parts = ImageParts.of(endpoint, copy);
            List<byte[]> images = new ArrayList<>(parts.size());
            long total = 0;
            for (int i = 0; i < parts.size(); i++) {
                ImageParts.Part part = parts.get(i);
                Image image;
                try {
                    image = image(part.url());
                } catch (ImageUnavailable e) {
                    throw lineError(part, e);
                }
                total += image.bytes();
                if (total > limits.maxRequestBytes()) {
                    throw ApiException.invalid(
                            "The images of this request add up to more than "
                                    + ImageUnavailable.Sizes.describe(limits.maxRequestBytes()) + "; the image at "
                                    + part.where()
                                    + " is one too many.",
                            part.param(),
                            "invalid_value");
                }
                part.replace().accept(placeholder(i));
                images.add(image.dataUri());
            }
            return splice(Json.write(copy), images);
        }

        private Image image(String url) throws ImageUnavailable, InterruptedException {
            if (DataUri.handles(url)) {
                return checked(DataUri.decode(url, limits.maxImageBytes()));
            }
            CompletableFuture<Image> entry;
            boolean mine = false;
            synchronized (this) {
                entry = cache.get(url);
                if (entry == null) {
                    entry = new CompletableFuture<>();
                    cache.put(url, entry);
                    mine = true;
                }
            }
            if (mine) {
                load(url, entry);
            }
            try {
                return entry.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof ImageUnavailable unavailable) {
                    throw unavailable;
                }
                throw new IllegalStateException("fetching an image failed unexpectedly", e.getCause());
            }
        }

        /** Fetches into the cache entry; a failure stays cached too, so the chunk's other lines fail alike at once. */
        private void load(String url, CompletableFuture<Image> entry) throws InterruptedException {
            try {
                Image image = checked(fetch(url));
                entry.complete(image);
                admit(image.bytes());
            } catch (ImageUnavailable e) {
                entry.completeExceptionally(e);
            } catch (InterruptedException | RuntimeException e) {
                synchronized (this) {
                    cache.remove(url);
                }
                entry.completeExceptionally(e);
                throw e;
            }
        }

        /** Counts a new image in and forgets the least recently used ones beyond the byte bound. */
        private synchronized void admit(long bytes) {
            cachedBytes += bytes;
            Iterator<CompletableFuture<Image>> oldest = cache.values().iterator();
            while (cachedBytes > limits.cacheBytes() && oldest.hasNext()) {
                CompletableFuture<Image> entry = oldest.next();
                if (entry.isDone() && !entry.isCompletedExceptionally()) {
                    cachedBytes -= entry.join().bytes();
                    oldest.remove();
                }
            }
        }
    }

    private byte[] fetch(String url) throws ImageUnavailable, InterruptedException {
        boolean fromS3 = s3.handles(url);
        if (!fromS3 && !web.handles(url)) {
            throw ImageUnavailable.unsupportedScheme();
        }
        fetches.acquire();
        try {
            return fromS3 ? s3.fetch(url, limits.maxImageBytes()) : web.fetch(url, limits.maxImageBytes());
        } finally {
            fetches.release();
        }
    }

    /** The bytes must be an image by their own magic numbers, whatever a label said. */
    private static Image checked(byte[] bytes) throws ImageUnavailable {
        ImageProbe probe = ImageProbe.of(bytes).orElseThrow(ImageUnavailable::notAnImage);
        byte[] prefix = ("data:" + probe.mediaType() + ";base64,").getBytes(StandardCharsets.US_ASCII);
        byte[] encoded = Base64.getEncoder().encode(bytes);
        byte[] dataUri = Arrays.copyOf(prefix, prefix.length + encoded.length);
        System.arraycopy(encoded, 0, dataUri, prefix.length, encoded.length);
        return new Image(bytes.length, dataUri);
    }

    /**
     * The serialised body cut at each placeholder, with the image in its place. Placeholders are
     * found in order: the body's images were replaced in the order JSON writes them.
     */
    private static RequestBody splice(byte[] json, List<byte[]> images) {
        List<byte[]> segments = new ArrayList<>(2 * images.size() + 1);
        int from = 0;
        for (int i = 0; i < images.size(); i++) {
            byte[] placeholder = placeholder(i).getBytes(StandardCharsets.US_ASCII);
            int at = indexOf(json, placeholder, from);
            segments.add(Arrays.copyOfRange(json, from, at));
            segments.add(images.get(i));
            from = at + placeholder.length;
        }
        segments.add(Arrays.copyOfRange(json, from, json.length));
        return new RequestBody(segments);
    }

    /** Closed by a dot, so that image 1's is not the start of image 10's. */
    private static String placeholder(int image) {
        return PLACEHOLDER + image + ".";
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("an image's placeholder is missing from the serialised body");
    }

    private static ApiException lineError(ImageParts.Part part, ImageUnavailable e) {
        String shown = shown(part.url());
        String image = "the image at " + part.where() + " (" + shown + ")";
        return switch (e.kind()) {
            case TIMEOUT ->
                ApiException.invalid("Timeout while downloading " + image + ".", part.param(), "invalid_value");
            case NOT_AN_IMAGE ->
                ApiException.invalid(
                        "Invalid image: " + image + " is not a supported image; " + e.reason() + ".",
                        part.param(),
                        "invalid_image_format");
            case UNAVAILABLE ->
                ApiException.invalid(
                        (DataUri.handles(part.url()) ? "Invalid image data in " : "Error while downloading ") + image
                                + ": " + e.reason() + ".",
                        part.param(),
                        "invalid_value");
        };
    }

    /**
     * The URL as the error message shows it: without a user name or password, a {@code data:} URI
     * without its data, and nothing very long.
     */
    static String shown(String url) {
        if (DataUri.handles(url)) {
            int comma = url.indexOf(',');
            return (comma < 0 ? url.substring(0, Math.min(url.length(), 40)) : url.substring(0, comma + 1)) + "...";
        }
        String shown = url.replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@", "$1");
        return shown.length() > 200 ? shown.substring(0, 200) + "..." : shown;
    }
}
