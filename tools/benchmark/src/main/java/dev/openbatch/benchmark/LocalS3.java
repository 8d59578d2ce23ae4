package dev.openbatch.benchmark;

import dev.openbatch.aws.AwsClients;
import dev.openbatch.aws.Settings;
import java.net.URI;
import java.util.Map;
import java.util.Optional;

/** The AWS clients a benchmark part in a JVM of its own uses: the runtime's local S3, its data bucket. */
final class LocalS3 {

    private LocalS3() {}

    /**
     * @param endpoint the local S3 endpoint
     * @param bucket   the data bucket
     */
    static AwsClients clients(String endpoint, String bucket) {
        return new AwsClients(Settings.builder()
                .region("us-east-1")
                .bucket(bucket)
                .filesTable("-")
                .batchesTable("-")
                .jobsJson("{}")
                .endpoints(Map.of(Settings.S3, URI.create(endpoint)))
                .staticCredentials(Optional.of(new String[] {"local", "local"}))
                .build());
    }
}
