package dev.openbatch.aws;

import dev.openbatch.core.images.ImageUnavailable;
import dev.openbatch.core.images.S3ImageSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Reads users' images from S3 with a cross-region client (see {@link AwsClients#s3Images()}). S3's
 * own error text stays out of the reason: it can carry request ids and account details.
 */
final class S3ImageObjects implements S3ImageSource.Objects {

    private final S3Client s3;

    S3ImageObjects(S3Client s3) {
        this.s3 = s3;
    }

    @Override
    public byte[] read(String bucket, String key, Optional<String> expectedOwner, long maxBytes)
            throws ImageUnavailable {
        GetObjectRequest.Builder request =
                GetObjectRequest.builder().bucket(bucket).key(key);
        expectedOwner.ifPresent(request::expectedBucketOwner);
        try (ResponseInputStream<GetObjectResponse> object = s3.getObject(request.build())) {
            Long length = object.response().contentLength();
            if (length != null && length > maxBytes) {
                object.abort();
                throw ImageUnavailable.tooLarge(maxBytes);
            }
            return ImageUnavailable.readAtMost(object, maxBytes);
        } catch (S3Exception e) {
            throw unavailable(e);
        } catch (SdkClientException | IOException | UncheckedIOException e) {
            throw ImageUnavailable.transientFailure("S3 could not be reached");
        }
    }

    private static ImageUnavailable unavailable(S3Exception e) {
        String code = e.awsErrorDetails() == null
                ? ""
                : String.valueOf(e.awsErrorDetails().errorCode());
        return switch (code) {
            case "NoSuchKey" -> ImageUnavailable.because("the object does not exist");
            case "NoSuchBucket" -> ImageUnavailable.because("the bucket does not exist");
            case "AccessDenied" -> ImageUnavailable.because("access to the object was denied");
            default ->
                switch (e.statusCode()) {
                    case 404 -> ImageUnavailable.because("the object does not exist");
                    case 403 -> ImageUnavailable.because("access to the object was denied");
                    default ->
                        e.statusCode() >= 500 || e.statusCode() == 429
                                ? ImageUnavailable.transientFailure("S3 answered HTTP " + e.statusCode())
                                : ImageUnavailable.because("S3 answered HTTP " + e.statusCode());
                };
        };
    }
}
