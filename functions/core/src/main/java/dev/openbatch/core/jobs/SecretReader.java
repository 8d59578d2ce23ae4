package dev.openbatch.core.jobs;

/** Reads a secret's current string value; in the cloud, from AWS Secrets Manager. */
public interface SecretReader {

    /** The secret's string; fails when it cannot be read, for a job without its credential cannot run. */
    String read(String secretArn);
}
