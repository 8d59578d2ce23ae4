package dev.openbatch.core.jobs;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.openbatch.core.Json;
import java.net.URI;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The jobs a deployment offers, read once from its configuration, and the one used when a batch
 * names none. The configuration is JSON:
 *
 * <pre>{@code
 * {"default_job": "job-local",
 *  "jobs": [{"id": "job-local", "base_url": "http://127.0.0.1:8000/v1", "concurrency": 64,
 *            "auth": {"header": "Authorization", "value": "Bearer ..."},
 *            "tenants": ["team-a", "team-b"]},
 *           {"id": "job-cloud", "base_url": "https://gpu.example.com/v1",
 *            "auth": {"header": "Authorization", "secret_arn": "arn:aws:secretsmanager:...:secret:gpu-key-AbCdEf"}},
 *           {"id": "job-pool",
 *            "endpoints": [{"base_url": "http://gpu-1:8000/v1", "models": ["llama-3-8b", "qwen-2-7b"], "concurrency": 64},
 *                          {"base_url": "http://gpu-2:8000/v1", "models": ["llama-3-8b"], "concurrency": 32,
 *                           "auth": {"header": "Authorization", "secret_arn": "arn:..."}}]}]}
 * }</pre>
 *
 * A job names either one {@code base_url} (with its {@code concurrency} and {@code auth}: a pool of
 * one endpoint that serves any model) or {@code endpoints}, each with its own; an endpoint without
 * {@code models} serves any. {@code tenants} lists who may use the job (the first owns its S3 drops); absent, it is
 * {@link Job#DEFAULT_TENANTS}. An auth header gives its {@code value} or names the secret that
 * holds it ({@code secret_arn}); the worker reads those secrets once, through {@link #withSecrets}.
 */
public final class JobCatalog {

    /** An endpoint's concurrency when its configuration gives none. */
    public static final int DEFAULT_CONCURRENCY = 16;

    private final Map<String, Job> jobs;
    private final String defaultJob;

    public JobCatalog(List<Job> jobs, String defaultJob) {
        Map<String, Job> byId = new LinkedHashMap<>();
        for (Job job : jobs) {
            if (byId.put(job.id(), job) != null) {
                throw new IllegalArgumentException("job " + job.id() + " is configured twice");
            }
        }
        if (defaultJob != null && !byId.containsKey(defaultJob)) {
            throw new IllegalArgumentException("the default job " + defaultJob + " is not configured");
        }
        this.jobs = Map.copyOf(byId);
        this.defaultJob = defaultJob;
    }

    public static JobCatalog fromJson(String json) {
        try {
            Config config = Json.MAPPER.readValue(json, Config.class);
            List<Job> jobs = config.jobs() == null
                    ? List.of()
                    : config.jobs().stream()
                            .map(j -> new Job(j.id(), j.toEndpoints(), j.tenants()))
                            .toList();
            return new JobCatalog(jobs, config.defaultJob());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the job configuration is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The secrets the jobs' auth headers are kept in: what the worker must be allowed to read. */
    public Set<String> secretArns() {
        Set<String> arns = new TreeSet<>();
        jobs.values().stream()
                .flatMap(job -> job.endpoints().stream())
                .map(Job.Endpoint::auth)
                .filter(Objects::nonNull)
                .map(Job.AuthHeader::secretArn)
                .filter(Objects::nonNull)
                .forEach(arns::add);
        return arns;
    }

    /** This catalog with every auth header's secret read, each secret once. */
    public JobCatalog withSecrets(SecretReader secrets) {
        Map<String, String> read = new HashMap<>();
        SecretReader once = arn -> read.computeIfAbsent(arn, secrets::read);
        List<Job> resolved = jobs.values().stream()
                .map(job -> new Job(
                        job.id(),
                        job.endpoints().stream()
                                .map(e -> e.auth() == null
                                        ? e
                                        : e.withAuth(e.auth().read(once)))
                                .toList(),
                        job.tenants()))
                .toList();
        return new JobCatalog(resolved, defaultJob);
    }

    public Optional<Job> find(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    /** The job, if it exists and the tenant may use it: to a tenant, a job of others does not exist. */
    public Optional<Job> find(String id, String tenant) {
        return find(id).filter(job -> job.allows(tenant));
    }

    public Optional<Job> defaultJob() {
        return Optional.ofNullable(defaultJob).map(jobs::get);
    }

    private record Config(
            @JsonProperty("default_job") String defaultJob,
            @JsonProperty("jobs") List<JobConfig> jobs) {}

    private record JobConfig(
            @JsonProperty("id") String id,
            @JsonProperty("base_url") String baseUrl,
            @JsonProperty("concurrency") Integer concurrency,
            @JsonProperty("auth") AuthConfig auth,
            @JsonProperty("endpoints") List<EndpointConfig> endpoints,
            @JsonProperty("tenants") List<String> tenants) {

        List<Job.Endpoint> toEndpoints() {
            if (endpoints == null) {
                if (baseUrl == null) {
                    throw new IllegalArgumentException("job " + id + ": it needs a base_url or endpoints");
                }
                return List.of(new EndpointConfig(baseUrl, null, concurrency, auth).toEndpoint(id));
            }
            if (baseUrl != null || concurrency != null || auth != null) {
                throw new IllegalArgumentException("job " + id
                        + ": endpoints take the place of base_url, concurrency and auth; give one or the other");
            }
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("job " + id + ": endpoints, when given, must name at least one");
            }
            return endpoints.stream().map(e -> e.toEndpoint(id)).toList();
        }
    }

    private record EndpointConfig(
            @JsonProperty("base_url") String baseUrl,
            @JsonProperty("models") List<String> models,
            @JsonProperty("concurrency") Integer concurrency,
            @JsonProperty("auth") AuthConfig auth) {

        Job.Endpoint toEndpoint(String jobId) {
            if (baseUrl == null || baseUrl.isBlank()) {
                throw new IllegalArgumentException("job " + jobId + ": each endpoint needs a base_url");
            }
            if (models != null && (models.isEmpty() || models.stream().anyMatch(m -> m == null || m.isBlank()))) {
                throw new IllegalArgumentException(
                        "job " + jobId + ": an endpoint's models, when given, name at least one model, none blank");
            }
            return new Job.Endpoint(
                    URI.create(baseUrl),
                    models,
                    auth == null ? null : auth.toHeader(jobId),
                    concurrency == null ? DEFAULT_CONCURRENCY : concurrency);
        }
    }

    private record AuthConfig(
            @JsonProperty("header") String header,
            @JsonProperty("value") String value,
            @JsonProperty("secret_arn") String secretArn) {

        Job.AuthHeader toHeader(String jobId) {
            if (header == null || header.isBlank() || (value == null) == (secretArn == null)) {
                throw new IllegalArgumentException(
                        "job " + jobId + ": auth needs a header and either a value or a secret_arn");
            }
            return value != null ? new Job.AuthHeader(header, value) : Job.AuthHeader.fromSecret(header, secretArn);
        }
    }
}
