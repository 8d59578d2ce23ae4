package dev.openbatch.core.jobs;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * A job: what a {@code job_id} stands for. It names the inference endpoint that runs a batch's
 * lines and how hard that endpoint may be driven.
 *
 * @param id          {@code job-...}
 * @param baseUrl     the endpoint's OpenAI-compatible base, e.g. {@code http://gpu:8000/v1}
 * @param auth        the header to send with every request, or null when the endpoint needs none
 * @param concurrency the most requests in flight to the endpoint for one chunk of work
 * @param tenants     the tenants that may run batches on it; the first one owns the batches
 *                    dropped into the ingest bucket for it
 */
public record Job(String id, URI baseUrl, AuthHeader auth, int concurrency, List<String> tenants) {

    /** Who may use a job that names no tenants: the one tenant there is until API keys are configured. */
    public static final List<String> DEFAULT_TENANTS = List.of("default");

    public Job {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(baseUrl, "baseUrl");
        if (!id.startsWith("job-")) {
            throw new IllegalArgumentException("a job id starts with 'job-': " + id);
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("job " + id + ": concurrency must be at least 1");
        }
        tenants = tenants == null ? DEFAULT_TENANTS : List.copyOf(tenants);
        if (tenants.isEmpty()) {
            throw new IllegalArgumentException("job " + id + ": tenants, when given, must name at least one");
        }
    }

    /** A job for the default tenants. */
    public Job(String id, URI baseUrl, AuthHeader auth, int concurrency) {
        this(id, baseUrl, auth, concurrency, null);
    }

    public boolean allows(String tenant) {
        return tenants.contains(tenant);
    }

    /** The tenant that owns the batches dropped into the ingest bucket for this job. */
    public String dropOwner() {
        return tenants.getFirst();
    }

    /** This job with another auth header: the same endpoint, its credential read. */
    public Job withAuth(AuthHeader auth) {
        return new Job(id, baseUrl, auth, concurrency, tenants);
    }

    /**
     * A header sent to the endpoint, e.g. {@code Authorization: Bearer ...}. Its value is either given
     * in the configuration (local use) or kept in a secret that the worker reads once when it starts,
     * so that a deployment's configuration and template never hold the credential.
     *
     * @param name      the header's name
     * @param value     the header's value, or null until its secret has been read
     * @param secretArn the secret whose string is the whole value (e.g. {@code Bearer sk-...}), or null
     *                  when the value is given
     */
    public record AuthHeader(String name, String value, String secretArn) {

        public AuthHeader {
            Objects.requireNonNull(name, "name");
            if (value == null && secretArn == null) {
                throw new IllegalArgumentException("header " + name + " needs a value or a secret");
            }
        }

        public AuthHeader(String name, String value) {
            this(name, value, null);
        }

        public static AuthHeader fromSecret(String name, String secretArn) {
            return new AuthHeader(name, null, secretArn);
        }

        /** The value to send; a header whose secret has not been read has none to give. */
        @Override
        public String value() {
            if (value == null) {
                throw new IllegalStateException("header " + name + " takes its value from secret " + secretArn
                        + ", which has not been read (JobCatalog.withSecrets)");
            }
            return value;
        }

        /** This header with its value read from its secret, if it has one and it was not read yet. */
        AuthHeader read(SecretReader secrets) {
            return value != null ? this : new AuthHeader(name, secrets.read(secretArn), secretArn);
        }

        @Override
        public String toString() {
            return "AuthHeader[" + name + ": ***" + (secretArn == null ? "" : " from " + secretArn) + "]";
        }
    }
}
