package dev.openbatch.aws;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Builds the AWS SDK clients one way for every function: region from the settings, the light
 * URL-connection HTTP client, endpoints overridable for the local emulators. Built once per
 * container and shared.
 */
public final class AwsClients {

    private final Settings settings;
    private final AwsCredentialsProvider credentials;

    public AwsClients(Settings settings) {
        this.settings = settings;
        this.credentials = settings.staticCredentials()
                .<AwsCredentialsProvider>map(c -> StaticCredentialsProvider.create(AwsBasicCredentials.create(c[0], c[1])))
                .orElseGet(() -> DefaultCredentialsProvider.builder().build());
    }

    public S3Client s3() {
        return configure(S3Client.builder(), Settings.S3)
                // Emulators serve buckets by path; in the cloud virtual-hosted style is the default.
                .forcePathStyle(settings.endpoint(Settings.S3).isPresent())
                .build();
    }

    public DynamoDbClient dynamoDb() {
        return configure(DynamoDbClient.builder(), Settings.DYNAMODB).build();
    }

    public SqsClient sqs() {
        return configure(SqsClient.builder(), Settings.SQS).build();
    }

    public SfnClient sfn() {
        return configure(SfnClient.builder(), Settings.SFN).build();
    }

    private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder, String service) {
        builder.region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder());
        settings.endpoint(service).ifPresent(builder::endpointOverride);
        return builder;
    }
}
