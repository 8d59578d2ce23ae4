package dev.openbatch.core.batches;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.AlreadyExists;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.Ids;
import dev.openbatch.core.Json;
import dev.openbatch.core.Page;
import dev.openbatch.core.PageRequest;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.files.ExpiresAfter;
import dev.openbatch.core.files.FileRepository;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.http.JsonBody;
import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The Batches API: create, retrieve and list, for one tenant at a time. */
public final class Batches {

    public static final List<String> ENDPOINTS =
            List.of("/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations");
    public static final List<String> COMPLETION_WINDOWS = List.of("24h", "unlimited");
    /** The length of the {@code 24h} completion window, unless the deployment shortens it (for tests). */
    public static final Duration WINDOW_24H = Duration.ofHours(24);

    static final int MAX_METADATA_PAIRS = 16;
    static final int MAX_METADATA_KEY = 64;
    static final int MAX_METADATA_VALUE = 512;
    static final int DEFAULT_LIST_LIMIT = 20;
    static final int MAX_LIST_LIMIT = 100;

    private static final Set<String> CANCELLABLE =
            Set.of(Batch.Status.VALIDATING, Batch.Status.IN_PROGRESS, Batch.Status.FINALIZING);

    private static final Set<String> PARAMETERS =
            Set.of("input_file_id", "endpoint", "completion_window", "metadata", "output_expires_after", "job_id");

    private final BatchRepository batches;
    private final FileRepository files;
    private final JobCatalog jobs;
    private final BatchLauncher launcher;
    private final Duration window24h;
    private final Ids ids;
    private final Clock clock;

    public Batches(
            BatchRepository batches,
            FileRepository files,
            JobCatalog jobs,
            BatchLauncher launcher,
            Duration window24h,
            Ids ids,
            Clock clock) {
        this.batches = batches;
        this.files = files;
        this.jobs = jobs;
        this.launcher = launcher;
        this.window24h = window24h;
        this.ids = ids;
        this.clock = clock;
    }

    /**
     * What a batch is asked to be, every parameter checked: the body of {@code POST /v1/batches},
     * or what an S3 drop says of itself.
     *
     * @param inputFileId      the input file, of purpose {@code batch}
     * @param endpoint         one of {@link #ENDPOINTS}
     * @param completionWindow one of {@link #COMPLETION_WINDOWS}
     * @param metadata         OpenAI's metadata: at most 16 pairs, keys of at most 64 characters, values of 512
     * @param jobId            the job, or null for the deployment's default job
     * @param outputExpiresAfter when the output and error files expire, after their creation; null: never
     */
    public record Request(
            String inputFileId,
            String endpoint,
            String completionWindow,
            Map<String, String> metadata,
            String jobId,
            ExpiresAfter outputExpiresAfter) {

        /** Checks the parameters as {@code POST /v1/batches} checks its body, with the same errors. */
        public static Request of(
                String inputFileId,
                String endpoint,
                String completionWindow,
                Map<String, String> metadata,
                String jobId) {
            ObjectNode body = Json.MAPPER
                    .createObjectNode()
                    .put("input_file_id", inputFileId)
                    .put("endpoint", endpoint)
                    .put("completion_window", completionWindow)
                    .put("job_id", jobId);
            if (metadata != null) {
                metadata.forEach(body.putObject("metadata")::put);
            }
            return request(JsonBody.of(body, PARAMETERS));
        }
    }

    /**
     * {@code POST /v1/batches}. Every check runs before the one write, so a refused request leaves
     * nothing behind.
     */
    public Batch create(String tenant, byte[] body) {
        return submit(tenant, ids.batch(), request(JsonBody.parse(body, PARAMETERS)));
    }

    /** Reads and checks the body of {@code POST /v1/batches}, naming the first parameter at fault as OpenAI does. */
    private static Request request(JsonBody request) {
        String inputFileId = request.requiredString("input_file_id");
        String endpoint = request.requiredString("endpoint");
        if (!ENDPOINTS.contains(endpoint)) {
            throw ApiException.notOneOf(endpoint, ENDPOINTS, "endpoint");
        }
        String window = request.requiredString("completion_window");
        if (!COMPLETION_WINDOWS.contains(window)) {
            throw ApiException.notOneOf(window, COMPLETION_WINDOWS, "completion_window");
        }
        Map<String, String> metadata = metadata(request.get("metadata"));
        ExpiresAfter outputExpiresAfter = ExpiresAfter.of(request.get("output_expires_after"), "output_expires_after");
        return new Request(
                inputFileId, endpoint, window, metadata, request.optionalString("job_id"), outputExpiresAfter);
    }

    /**
     * Creates the batch {@code batchId} and starts it. Every check runs before the one write. A batch
     * of that id created before (a redelivered S3 drop, whose id is derived from it) is not created
     * again: it is answered as it stands, and started again if it never got going.
     */
    public Batch submit(String tenant, String batchId, Request request) {
        Job job = job(tenant, request.jobId());
        FileObject input = Files.live(files, tenant, request.inputFileId(), clock)
                .orElseThrow(() -> Files.noSuchFile(request.inputFileId(), "input_file_id"));
        if (!input.purpose().equals(Files.PURPOSE_BATCH)) {
            throw ApiException.invalid(
                    "Invalid 'input_file_id': " + input.id() + " has purpose '" + input.purpose()
                            + "'; a batch's input file must have purpose 'batch'.",
                    "input_file_id",
                    "invalid_file_purpose");
        }

        long now = clock.instant().getEpochSecond();
        Long expiresAt = request.completionWindow().equals("24h") ? now + window24h.toSeconds() : null;
        Batch batch = Batch.validating(
                batchId,
                request.endpoint(),
                input.id(),
                request.completionWindow(),
                now,
                expiresAt,
                request.metadata(),
                job.id(),
                request.outputExpiresAfter() == null
                        ? null
                        : request.outputExpiresAfter().seconds());
        try {
            batches.create(tenant, batch);
        } catch (AlreadyExists again) {
            return startAgain(tenant, batches.find(tenant, batchId).orElseThrow(() -> again));
        }
        return launch(tenant, batch);
    }

    /**
     * Starts again a batch that is still {@code validating}, in case its first start never happened:
     * starting twice runs it once. Any other batch is answered as it stands.
     */
    public Batch startAgain(String tenant, Batch batch) {
        return batch.status().equals(Batch.Status.VALIDATING) ? launch(tenant, batch) : batch;
    }

    private Batch launch(String tenant, Batch batch) {
        try {
            launcher.start(tenant, batch.id());
        } catch (RuntimeException e) {
            // A batch that will never run must not look as if it might: it ends failed, and the caller hears of it.
            batches.transition(
                    tenant,
                    batch.id(),
                    Set.of(Batch.Status.VALIDATING),
                    Batch.Status.FAILED,
                    Map.of("failed_at", clock.instant().getEpochSecond()),
                    null,
                    List.of(new Batch.Error("batch_not_started", "The batch could not be started.", null, null)));
            throw e;
        }
        return batch;
    }

    /**
     * {@code POST /v1/batches/{id}/cancel}: a running batch goes {@code cancelling} at once; lines not
     * yet sent end as {@code batch_cancelled} and the finalizer makes it {@code cancelled}.
     */
    public Batch cancel(String tenant, String id) {
        Batch batch = retrieve(tenant, id);
        if (batch.status().equals(Batch.Status.CANCELLING)) {
            return batch;
        }
        return batches.transition(
                        tenant,
                        id,
                        CANCELLABLE,
                        Batch.Status.CANCELLING,
                        Map.of("cancelling_at", clock.instant().getEpochSecond()),
                        null,
                        null)
                .orElseThrow(() -> ApiException.invalid(
                        "Cannot cancel a batch with status '"
                                + retrieve(tenant, id).status() + "'.",
                        null,
                        "batch_not_cancellable"));
    }

    public Batch retrieve(String tenant, String id) {
        return find(tenant, id).orElseThrow(() -> noSuchBatch(id));
    }

    public Optional<Batch> find(String tenant, String id) {
        return batches.find(tenant, id);
    }

    public Page<Batch> list(String tenant, String after, Integer limit) {
        int size = PageRequest.limit(limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
        return batches.list(tenant, new PageRequest(after, size, true));
    }

    public static ApiException noSuchBatch(String id) {
        return ApiException.notFound("No batch found with id '" + id + "'.", "batch_id");
    }

    /** The job, if the tenant may use it; a job of other tenants is answered as one that does not exist. */
    private Job job(String tenant, String jobId) {
        if (jobId == null) {
            return jobs.defaultJob()
                    .filter(job -> job.allows(tenant))
                    .orElseThrow(() -> ApiException.missing("job_id"));
        }
        return jobs.find(jobId, tenant).orElseThrow(() -> noSuchJob(jobId));
    }

    public static ApiException noSuchJob(String jobId) {
        return ApiException.invalid(
                "Invalid 'job_id': no job '" + jobId + "' is available to this account.", "job_id", "invalid_value");
    }

    /** OpenAI's metadata, checked: at most 16 pairs, keys of at most 64 characters, string values of 512. */
    static Map<String, String> metadata(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw JsonBody.invalidType("metadata", "an object", node);
        }
        if (node.size() > MAX_METADATA_PAIRS) {
            throw ApiException.invalid(
                    "Invalid 'metadata': too many properties. Expected an object with at most "
                            + MAX_METADATA_PAIRS + " properties, but got an object with " + node.size()
                            + " properties instead.",
                    "metadata",
                    "object_above_max_properties");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> pair : node.properties()) {
            String key = pair.getKey();
            if (key.length() > MAX_METADATA_KEY) {
                throw ApiException.invalid(
                        "Invalid 'metadata': key too long. Expected a key with maximum length " + MAX_METADATA_KEY
                                + ", but got a key with length " + key.length() + " instead.",
                        "metadata",
                        "string_above_max_length");
            }
            String param = "metadata." + key;
            if (!pair.getValue().isTextual()) {
                throw JsonBody.invalidType(param, "a string", pair.getValue());
            }
            String value = pair.getValue().textValue();
            if (value.length() > MAX_METADATA_VALUE) {
                throw ApiException.invalid(
                        "Invalid '" + param + "': string too long. Expected a string with maximum length "
                                + MAX_METADATA_VALUE + ", but got a string with length " + value.length() + " instead.",
                        param,
                        "string_above_max_length");
            }
            metadata.put(key, value);
        }
        return metadata;
    }
}
