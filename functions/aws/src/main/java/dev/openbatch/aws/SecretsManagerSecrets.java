package dev.openbatch.aws;

import dev.openbatch.core.jobs.SecretReader;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** Job credentials kept in AWS Secrets Manager: the secret's string is the whole header value. */
public final class SecretsManagerSecrets implements SecretReader {

    private final SecretsManagerClient secretsManager;

    public SecretsManagerSecrets(SecretsManagerClient secretsManager) {
        this.secretsManager = secretsManager;
    }

    @Override
    public String read(String secretArn) {
        String value = secretsManager.getSecretValue(b -> b.secretId(secretArn)).secretString();
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("the secret " + secretArn + " has no string value");
        }
        return value;
    }
}
