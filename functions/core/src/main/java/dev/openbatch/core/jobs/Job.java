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

    /** A header sent to the endpoint, e.g. {@code Authorization: Bearer ...}. */
    public record AuthHeader(String name, String value) {

        @Override
        public String toString() {
            return "AuthHeader[" + name + ": ***]";
        }
    }
}
