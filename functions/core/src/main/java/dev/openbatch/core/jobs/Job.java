package dev.openbatch.core.jobs;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A job: what a {@code job_id} stands for. It names the inference endpoints that run a batch's
 * lines, the models each serves, and how hard each may be driven: a pool of replicas and models. A
 * job configured with one {@code base_url} is a pool of one endpoint that serves any model.
 *
 * @param id        {@code job-...}
 * @param endpoints the endpoints, at least one, in the configuration's order
 * @param tenants   the tenants that may run batches on it; the first one owns the batches dropped
 *                  into the ingest bucket for it
 */
public record Job(String id, List<Endpoint> endpoints, List<String> tenants) {

    /** Who may use a job that names no tenants: the one tenant there is until API keys are configured. */
    public static final List<String> DEFAULT_TENANTS = List.of("default");

    public Job {
        Objects.requireNonNull(id, "id");
        if (!id.startsWith("job-")) {
            throw new IllegalArgumentException("a job id starts with 'job-': " + id);
        }
        if (endpoints == null || endpoints.isEmpty()) {
            throw new IllegalArgumentException("job " + id + ": it needs a base_url or at least one endpoint");
        }
        List<Endpoint> keyed = new ArrayList<>();
        for (int i = 0; i < endpoints.size(); i++) {
            // A pool of one keeps the job's id as its key: its capacity records stay where they were.
            keyed.add(endpoints.get(i).keyed(endpoints.size() == 1 ? id : id + "/" + i));
        }
        endpoints = List.copyOf(keyed);
        tenants = tenants == null ? DEFAULT_TENANTS : List.copyOf(tenants);
        if (tenants.isEmpty()) {
            throw new IllegalArgumentException("job " + id + ": tenants, when given, must name at least one");
        }
    }

    /** A job of one endpoint, serving any model. */
    public Job(String id, URI baseUrl, AuthHeader auth, int concurrency, List<String> tenants) {
        this(id, List.of(new Endpoint(baseUrl, List.of(), auth, concurrency)), tenants);
    }

    /** A job of one endpoint, serving any model, for the default tenants. */
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

    /** The endpoint of a job configured with one {@code base_url}; a pool of several has no one endpoint. */
    public Endpoint single() {
        if (endpoints.size() != 1) {
            throw new IllegalStateException("job " + id + " is a pool of " + endpoints.size() + " endpoints");
        }
        return endpoints.getFirst();
    }

    /** The endpoints that serve {@code model} (any model, when a line names none), in order. */
    public List<Endpoint> serving(String model) {
        return endpoints.stream().filter(e -> e.serves(model)).toList();
    }

    /** The endpoint with this key, if it is one of this job's. */
    public Optional<Endpoint> endpoint(String key) {
        return endpoints.stream().filter(e -> e.key().equals(key)).findFirst();
    }

    /** This job with one endpoint replaced (same key): its credential read again, say. */
    public Job with(Endpoint endpoint) {
        return new Job(
                id,
                endpoints.stream()
                        .map(e -> e.key().equals(endpoint.key()) ? endpoint : e)
                        .toList(),
                tenants);
    }

    /**
     * One inference endpoint of a job: a replica.
     *
     * @param key         names it among every job's endpoints: the job's id for a pool of one, else
     *                    {@code job-.../index}; set by its {@link Job}
     * @param baseUrl     the endpoint's OpenAI-compatible base, e.g. {@code http://gpu:8000/v1}
     * @param models      the models it serves; empty, it serves any
     * @param auth        the header to send with every request, or null when the endpoint needs none
     * @param concurrency the most requests in flight to this endpoint, across every sandbox
     */
    public record Endpoint(String key, URI baseUrl, List<String> models, AuthHeader auth, int concurrency) {

        public Endpoint {
            Objects.requireNonNull(baseUrl, "baseUrl");
            models = models == null ? List.of() : List.copyOf(models);
            if (concurrency < 1) {
                throw new IllegalArgumentException("endpoint " + baseUrl + ": concurrency must be at least 1");
            }
        }

        /** An endpoint before its job names it. */
        public Endpoint(URI baseUrl, List<String> models, AuthHeader auth, int concurrency) {
            this(null, baseUrl, models, auth, concurrency);
        }

        /** Whether a line naming {@code model} may go here: one naming none may go anywhere. */
        public boolean serves(String model) {
            return models.isEmpty() || model == null || models.contains(model);
        }

        /** This endpoint with another auth header: the same endpoint, its credential read. */
        public Endpoint withAuth(AuthHeader auth) {
            return new Endpoint(key, baseUrl, models, auth, concurrency);
        }

        Endpoint keyed(String key) {
            return new Endpoint(key, baseUrl, models, auth, concurrency);
        }
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
