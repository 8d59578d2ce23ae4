package dev.openbatch.core.ingest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.Ids;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.api.OpenAiError;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * S3-drop submission: a JSONL file put at {@code incoming/<job_id>/<name>.jsonl} of the ingest bucket
 * becomes a batch of that job, owned by the job's first tenant, registered as if created through the
 * API (its input file and the batch both listed for that tenant) and started.
 *
 * <p>The endpoint is the object metadata {@code x-amz-meta-openbatch-endpoint}, or else the {@code url}
 * of the file's first request (the validator then holds every other line to it); the completion
 * window is {@code x-amz-meta-openbatch-completion-window}, or else {@code 24h}; every other user
 * metadata pair becomes batch metadata, beside {@code source_object}, {@code source_etag} and
 * {@code source_version_id}, which name the drop.
 *
 * <p>Exactly once: the file and batch ids derive from the drop (bucket, key, version or entity tag,
 * and time written), records are created only if absent and the execution is named after the
 * batch, so an event delivered again, or a retried start, finds the batch it made before. A drop
 * that cannot be a batch is refused with a {@code batch.json} that says why, and never thrown back,
 * which would have the event retried for nothing.
 */
public final class Ingest {

    static final String ENDPOINT_METADATA = "openbatch-endpoint";
    static final String WINDOW_METADATA = "openbatch-completion-window";
    private static final String RESERVED_METADATA = "openbatch-";
    private static final String DEFAULT_WINDOW = "24h";

    /**
     * What became of a drop, for the logs and the tests.
     *
     * @param outcome {@code created} (a new batch), {@code existing} (the batch this drop made
     *                before), {@code refused} (a batch.json says why) or {@code ignored} (not a drop)
     * @param batchId the batch, when there is one
     * @param tenant  its owner
     * @param results where its results are written, or the refusal
     * @param reason  why it was refused or ignored
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Outcome(
            @JsonProperty("outcome") String outcome,
            @JsonProperty("batch_id") String batchId,
            @JsonProperty("tenant") String tenant,
            @JsonProperty("results") String results,
            @JsonProperty("reason") String reason) {

        public static Outcome ignored(String reason) {
            return new Outcome("ignored", null, null, null, reason);
        }
    }

    private final DropBucket bucket;
    private final Files files;
    private final Batches batches;
    private final JobCatalog jobs;
    private final DropResults results;
    private final long maxBytes;
    private final Clock clock;

    /**
     * @param maxBytes the largest input file a drop may be (OpenAI's 200 MB); a larger one is refused
     *                 without reading it
     */
    public Ingest(
            DropBucket bucket,
            Files files,
            Batches batches,
            JobCatalog jobs,
            DropResults results,
            long maxBytes,
            Clock clock) {
        this.bucket = bucket;
        this.files = files;
        this.batches = batches;
        this.jobs = jobs;
        this.results = results;
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    public Outcome submit(DropNotice notice) {
        if (!notice.bucket().equals(bucket.name())) {
            return Outcome.ignored("s3://" + notice.bucket() + " is not the ingest bucket " + bucket.name());
        }
        if (notice.key().startsWith(DropLayout.RESULTS)) {
            return Outcome.ignored("results are not drops: " + notice.key());
        }
        if (notice.key().endsWith("/")) {
            return Outcome.ignored("a folder, not a file: " + notice.key());
        }
        Optional<Drop> found = bucket.describe(notice);
        if (found.isEmpty()) {
            return Outcome.ignored("s3://" + notice.bucket() + "/" + notice.key()
                    + " is gone, or was replaced by a newer object, which is a drop of its own");
        }
        Drop drop = found.get();
        String folder = DropLayout.resultsPrefix(drop.key());
        String batchId = Ids.batchOf(drop.lastModified(), drop.identity());
        try {
            return register(drop, batchId, folder);
        } catch (ApiException refused) {
            OpenAiError.Detail why = refused.envelope().error();
            OpenAiError error = new OpenAiError(new OpenAiError.Detail(
                    drop.uri() + " was not submitted: " + why.message(), why.type(), why.param(), why.code()));
            results.refuse(folder, batchId, error);
            return new Outcome("refused", null, null, folder, error.error().message());
        }
    }

    private Outcome register(Drop drop, String batchId, String folder) {
        String jobId = DropLayout.jobId(drop.key())
                .orElseThrow(() -> ApiException.invalid(
                        "a drop goes to " + DropLayout.INCOMING + "<job_id>/<name>.jsonl, not to " + drop.key() + ".",
                        "key",
                        "invalid_drop_key"));
        if (!Files.isJsonl(drop.key())) {
            throw Files.notJsonl("file");
        }
        Job job = jobs.find(jobId).orElseThrow(() -> Batches.noSuchJob(jobId));
        String tenant = job.dropOwner();
        String fileId = Ids.fileOf(drop.lastModified(), drop.identity());

        Optional<Batch> before = batches.find(tenant, batchId);
        if (before.isPresent()) {
            return settled("existing", tenant, batches.startAgain(tenant, before.get()), folder);
        }
        if (drop.size() > maxBytes) {
            throw ApiException.invalid(
                    "The file is " + drop.size() + " bytes; a batch's input file may be at most " + maxBytes
                            + " bytes.",
                    "file",
                    "file_too_large");
        }
        Batches.Request request = Batches.Request.of(fileId, endpoint(drop), window(drop), metadata(drop), jobId);

        results.remember(batchId, new DropRecord(drop.bucket(), drop.key(), drop.versionId(), drop.etag(), folder));
        bucket.copyToData(drop, Files.contentKey(fileId));
        files.adopt(
                tenant,
                FileObject.stored(
                        fileId,
                        drop.size(),
                        clock.instant().getEpochSecond(),
                        DropLayout.filename(drop.key()),
                        Files.PURPOSE_BATCH));
        return settled("created", tenant, batches.submit(tenant, batchId, request), folder);
    }

    /**
     * A batch this drop made that has ended without its results written (it could not be started, or the
     * finalizer's last write failed) gets them now.
     */
    private Outcome settled(String outcome, String tenant, Batch batch, String folder) {
        if (Batch.Status.ENDED.contains(batch.status()) && !results.published(folder, batch.id())) {
            results.publish(folder, batch);
        }
        return new Outcome(outcome, batch.id(), tenant, folder, null);
    }

    private String endpoint(Drop drop) {
        String named = drop.metadata().get(ENDPOINT_METADATA);
        return named != null ? named : firstUrl(drop);
    }

    private static String window(Drop drop) {
        return drop.metadata().getOrDefault(WINDOW_METADATA, DEFAULT_WINDOW);
    }

    /** The user metadata that is not ours, and the names of the drop: checked as the API checks metadata. */
    private static Map<String, String> metadata(Drop drop) {
        Map<String, String> metadata = new LinkedHashMap<>();
        drop.metadata().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(pair -> {
            String name = pair.getKey();
            if (name.startsWith(RESERVED_METADATA)
                    && !name.equals(ENDPOINT_METADATA)
                    && !name.equals(WINDOW_METADATA)) {
                throw ApiException.invalid(
                        "Unrecognized object metadata: x-amz-meta-" + name + " (known: x-amz-meta-" + ENDPOINT_METADATA
                                + ", x-amz-meta-" + WINDOW_METADATA + ")",
                        name,
                        "unknown_parameter");
            }
            if (!name.startsWith(RESERVED_METADATA)) {
                metadata.put(name, pair.getValue());
            }
        });
        metadata.put("source_object", drop.uri());
        metadata.put("source_etag", drop.etag());
        if (drop.versionId() != null) {
            metadata.put("source_version_id", drop.versionId());
        }
        return metadata;
    }

    /**
     * The {@code url} of the first request, read as a stream up to that field: a first line carrying
     * megabytes of inline images costs no memory.
     */
    private String firstUrl(Drop drop) {
        String why;
        try (InputStream in = bucket.open(drop);
                JsonParser parser = Json.MAPPER.createParser(in)) {
            why = "its first line is not a JSON object";
            if (parser.nextToken() == null) {
                why = "it is empty";
            } else if (parser.currentToken() == JsonToken.START_OBJECT) {
                why = "its first line has no 'url'";
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if (field.equals("url")) {
                        if (value == JsonToken.VALUE_STRING) {
                            return parser.getText();
                        }
                        why = "the 'url' of its first line is not a string";
                        break;
                    }
                    parser.skipChildren();
                }
            }
        } catch (JsonProcessingException e) {
            why = "its first line is not JSON";
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + drop.uri(), e);
        }
        throw ApiException.invalid(
                "Could not tell which endpoint the requests call: " + why
                        + ". Start the file with a request line, or name the endpoint in the object metadata x-amz-meta-"
                        + ENDPOINT_METADATA + ".",
                "endpoint",
                "invalid_file_format");
    }
}
