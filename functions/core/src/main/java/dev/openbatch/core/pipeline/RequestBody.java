package dev.openbatch.core.pipeline;

import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * A request body as the pieces it is sent in: the JSON around the images, and each image's
 * {@code data:} URI as the one array the chunk's image cache holds. A line never copies the
 * megabytes of its images; the HTTP client sends the pieces one after another.
 *
 * @param segments the pieces, in order
 */
public record RequestBody(List<byte[]> segments) {

    public RequestBody {
        segments = List.copyOf(segments);
    }

    public static RequestBody of(byte[] json) {
        return new RequestBody(List.of(json));
    }

    public long length() {
        return segments.stream().mapToLong(s -> s.length).sum();
    }

    /** The whole body in one array, for tests and small bodies. */
    public byte[] bytes() {
        if (segments.size() == 1) {
            return segments.getFirst();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) length());
        segments.forEach(out::writeBytes);
        return out.toByteArray();
    }
}
