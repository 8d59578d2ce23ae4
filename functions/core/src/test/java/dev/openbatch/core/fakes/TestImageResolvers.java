package dev.openbatch.core.fakes;

import dev.openbatch.core.images.ImageResolver;
import dev.openbatch.core.images.ImageUnavailable;
import dev.openbatch.core.images.S3ImageSource;
import dev.openbatch.core.images.WebImageSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Image resolvers over objects in memory (as {@code bucket/key}) and the test image server. */
public final class TestImageResolvers {

    /** Objects by {@code bucket/key}; counts the reads. */
    public static final class Objects implements S3ImageSource.Objects {
        public final Map<String, byte[]> objects = new ConcurrentHashMap<>();
        public final AtomicInteger reads = new AtomicInteger();

        @Override
        public byte[] read(String bucket, String key, java.util.Optional<String> expectedOwner, long maxBytes)
                throws ImageUnavailable {
            reads.incrementAndGet();
            byte[] bytes = objects.get(bucket + "/" + key);
            if (bytes == null) {
                throw ImageUnavailable.because("the object does not exist");
            }
            if (bytes.length > maxBytes) {
                throw ImageUnavailable.tooLarge(maxBytes);
            }
            return bytes;
        }
    }

    private TestImageResolvers() {}

    /** Reads {@code buckets} from {@code objects}; https from the image server on localhost, trusted. */
    public static ImageResolver of(Objects objects, ImageResolver.Limits limits, String... buckets) {
        return new ImageResolver(
                new S3ImageSource(
                        objects,
                        List.of(buckets).stream()
                                .map(S3ImageSource.Bucket::parse)
                                .toList()),
                new WebImageSource(WebImageSource.Options.defaults()
                        .withTls(ImageServer.clientTls())
                        .withTrustedHosts(Set.of("localhost"))),
                limits);
    }

    /** No bucket, no trusted host. */
    public static ImageResolver none() {
        return of(new Objects(), ImageResolver.Limits.DEFAULT);
    }
}
