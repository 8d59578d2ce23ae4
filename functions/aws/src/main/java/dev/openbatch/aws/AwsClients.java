package dev.openbatch.aws;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Builds the AWS SDK clients one way for every function: region from the settings, the light
 * URL-connection HTTP client, endpoints overridable for the local emulators. Built once per
 * container and shared.
 */
public final class AwsClients {

    /**
     * Drops {@code Expect: 100-continue} from S3 uploads: the URL-connection client fails on a server
     * that closes the connection instead of answering 100, and the parts written here are small.
     */
    private static final class NoExpectContinue implements ExecutionInterceptor {
        @Override
        public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
            return context.httpRequest().toBuilder().removeHeader("Expect").build();
        }
    }

    private final Settings settings;
    private final AwsCredentialsProvider credentials;
    private final List<ExecutionInterceptor> interceptors;

    public AwsClients(Settings settings) {
        this(settings, List.of());
    }

    /**
     * Clients that also pass every call through {@code interceptors}, after the clients' own: how
     * the local runtime checks each call against the calling function's permissions.
     */
    public AwsClients(Settings settings, List<ExecutionInterceptor> interceptors) {
        this.settings = settings;
        this.interceptors = List.copyOf(interceptors);
        this.credentials = settings.staticCredentials()
                .<AwsCredentialsProvider>map(
                        c -> StaticCredentialsProvider.create(AwsBasicCredentials.create(c[0], c[1])))
                .orElseGet(() -> DefaultCredentialsProvider.builder().build());
    }

    public S3Client s3() {
        return configure(S3Client.builder(), Settings.S3, o -> o.addExecutionInterceptor(new NoExpectContinue()))
                .forcePathStyle(pathStyle())
                .build();
    }

    /**
     * Presigns as {@link #s3()} calls: the same region, credentials, endpoint and addressing, so a
     * presigned URL reaches the bucket the functions write to, the local S3 endpoint included.
     */
    public S3Presigner s3Presigner() {
        S3Presigner.Builder builder = S3Presigner.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder()
                        .pathStyleAccessEnabled(pathStyle())
                        .build());
        settings.endpoint(Settings.S3).ifPresent(builder::endpointOverride);
        return builder.build();
    }

    /** Emulators serve buckets by path; in the cloud virtual-hosted style is the default. */
    private boolean pathStyle() {
        return settings.endpoint(Settings.S3).isPresent();
    }

    /**
     * The client that reads users' images: it finds the region of a bucket in any region from S3's
     * redirect, remembers it, and sends the bucket's requests there from then on.
     */
    public S3Client s3Images() {
        S3ClientBuilder builder =
                configure(S3Client.builder(), Settings.S3, o -> {}).crossRegionAccessEnabled(true);
        settings.images().s3Endpoint().ifPresent(builder::endpointOverride);
        return builder.forcePathStyle(settings.images()
                        .s3Endpoint()
                        .or(() -> settings.endpoint(Settings.S3))
                        .isPresent())
                .build();
    }

    public DynamoDbClient dynamoDb() {
        return configure(DynamoDbClient.builder(), Settings.DYNAMODB, o -> {}).build();
    }

    public SqsClient sqs() {
        return configure(SqsClient.builder(), Settings.SQS, o -> {}).build();
    }

    public SfnClient sfn() {
        return configure(SfnClient.builder(), Settings.SFN, o -> {}).build();
    }

    public EventBridgeClient eventBridge() {
        return configure(EventBridgeClient.builder(), Settings.EVENTBRIDGE, o -> {})
                .build();
    }

    public SecretsManagerClient secretsManager() {
        return configure(SecretsManagerClient.builder(), Settings.SECRETS_MANAGER, o -> {})
                .build();
    }

    private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(
            B builder, String service, Consumer<ClientOverrideConfiguration.Builder> overrides) {
        builder.region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                // The URL-connection client reports a connection the server closed while idle as an
                // UncheckedIOException, which the SDK would not retry: every write is idempotent here.
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                                .retryOnExceptionOrCauseInstanceOf(IOException.class)
                                .retryOnExceptionInstanceOf(UncheckedIOException.class)
                                .build())
                        .applyMutation(overrides)
                        .applyMutation(added -> interceptors.forEach(added::addExecutionInterceptor)));
        settings.endpoint(service).ifPresent(builder::endpointOverride);
        return builder;
    }
}
