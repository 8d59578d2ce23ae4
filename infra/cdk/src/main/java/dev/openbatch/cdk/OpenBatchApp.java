package dev.openbatch.cdk;

import dev.openbatch.deployment.DeploymentConfig;
import java.nio.file.Path;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.StackProps;

/**
 * The CDK app: {@code cdk deploy} runs it (cdk.json). It reads the deployment's configuration, the
 * file the context {@code config} names ({@code openbatch.json} by default), and synthesizes the
 * stack.
 */
public final class OpenBatchApp {

    static final String DEFAULT_CONFIG = "openbatch.json";

    private OpenBatchApp() {}

    public static void main(String[] args) {
        App app = new App();
        Object named = app.getNode().tryGetContext("config");
        DeploymentConfig config = DeploymentConfig.read(Path.of(named == null ? DEFAULT_CONFIG : named.toString()));
        stack(app, config);
        app.synth();
    }

    /** The stack of a configuration, in its account and region, or the CLI's defaults for them. */
    static OpenBatchStack stack(App app, DeploymentConfig config) {
        String account = config.account() != null ? config.account() : System.getenv("CDK_DEFAULT_ACCOUNT");
        String region = config.region() != null ? config.region() : System.getenv("CDK_DEFAULT_REGION");
        return new OpenBatchStack(
                app,
                config.stackName(),
                StackProps.builder()
                        .description("openbatch: OpenAI-compatible batch inference on AWS serverless")
                        .env(Environment.builder()
                                .account(account)
                                .region(region)
                                .build())
                        .build(),
                config);
    }
}
