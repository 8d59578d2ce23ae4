package dev.openbatch.core.batches;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.Ids;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.files.FileContentStore;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.http.JsonBody;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /v1/batches/{batch_id}/retry}: a new batch, of the same endpoint, window and job, whose
 * input file holds exactly the request lines of the original's input whose {@code custom_id}s ended
 * in its error file (failed, expired, cancelled, {@code chunk_failed}), each line as the input file
 * has it, and whose metadata says {@code retry_of} the original.
 *
 * <p>Bounded in memory whatever the input's size: the error file's custom ids are a set (at most the
 * 50,000 requests a batch holds), and the input file is streamed twice, a line at a time — once to
 * find the lines to copy and their length, once to copy them into the new file as one streamed write
 * of that length. Nothing is written until every check has passed; should the new batch be refused,
 * its file is removed again.
 */
public final class RetryBatch {

    /** The metadata key that names the batch a retry runs the failed lines of. */
    public static final String RETRY_OF = "retry_of";

    /** The code of the 400 for a batch that has not ended. */
    public static final String NOT_ENDED = "batch_not_ended";
    /** The code of the 400 for a batch with no failed line to run again. */
    public static final String NO_FAILED_REQUESTS = "batch_has_no_failed_requests";

    private static final Set<String> PARAMETERS = Set.of("metadata");

    private final Batches batches;
    private final Files files;
    private final FileContentStore content;
    private final Ids ids;

    public RetryBatch(Batches batches, Files files, FileContentStore content, Ids ids) {
        this.batches = batches;
        this.files = files;
        this.content = content;
        this.ids = ids;
    }

    /**
     * Creates and starts the retry of the tenant's batch {@code batchId}; {@code body} is empty or
     * {@code {"metadata": {...}}}, added to the new batch's metadata beside {@code retry_of}.
     */
    public Batch retry(String tenant, String batchId, byte[] body) {
        Batch original = batches.retrieve(tenant, batchId);
        Map<String, String> metadata = metadata(original.id(), body);
        if (!Batch.Status.ENDED.contains(original.status())) {
            throw ApiException.invalid(
                    "Cannot retry batch " + original.id() + " with status '" + original.status()
                            + "': only a batch that has ended can be retried.",
                    null,
                    NOT_ENDED);
        }
        Set<String> failed = original.errorFileId() == null ? Set.of() : failedCustomIds(original);
        if (failed.isEmpty()) {
            throw ApiException.invalid(
                    "Batch " + original.id() + " has no failed requests to retry: it has no error file.",
                    null,
                    NO_FAILED_REQUESTS);
        }
        String inputKey = Files.contentKey(original.inputFileId());
        Selection selection = select(inputKey, failed, original);
        FileObject input = files.store(tenant, "retry-of-" + original.id() + ".jsonl", selection.bytes(), key -> {
            try (InputStream lines = new SelectedLines(open(inputKey, original), selection.lines())) {
                content.put(key, lines, selection.bytes(), Files.JSONL);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Batches.Request request;
        try {
            request = Batches.Request.of(
                    input.id(), original.endpoint(), original.completionWindow(), metadata, original.jobId());
            return batches.submit(tenant, ids.batch(), request);
        } catch (ApiException refused) {
            // Refused before the batch was written (its job is no longer this tenant's): no file outlives it.
            files.delete(tenant, input.id());
            throw refused;
        }
    }

    /** The given metadata (checked as {@code POST /v1/batches} checks it), with {@code retry_of} set. */
    private static Map<String, String> metadata(String batchId, byte[] body) {
        Map<String, String> given = null;
        if (!isBlank(body)) {
            given = Batches.metadata(JsonBody.parse(body, PARAMETERS).get("metadata"));
        }
        Map<String, String> metadata = new LinkedHashMap<>(given == null ? Map.of() : given);
        metadata.remove(RETRY_OF);
        if (metadata.size() >= Batches.MAX_METADATA_PAIRS) {
            throw ApiException.invalid(
                    "Invalid 'metadata': too many properties. A retry's metadata holds '" + RETRY_OF
                            + "' beside at most " + (Batches.MAX_METADATA_PAIRS - 1) + " properties, but got "
                            + metadata.size() + " instead.",
                    "metadata",
                    "object_above_max_properties");
        }
        metadata.put(RETRY_OF, batchId);
        return metadata;
    }

    private static boolean isBlank(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    /** The custom ids of the error file's lines, read as a stream of JSON objects, never whole. */
    private Set<String> failedCustomIds(Batch batch) {
        Set<String> ids = new HashSet<>();
        try (InputStream in = content.open(Files.contentKey(batch.errorFileId()));
                JsonParser parser = Json.MAPPER.createParser(in)) {
            for (JsonToken token; (token = parser.nextToken()) != null; ) {
                if (token == JsonToken.START_OBJECT) {
                    String customId = customId(parser);
                    if (customId != null) {
                        ids.add(customId);
                    }
                }
            }
        } catch (FileContentStore.NoSuchKey e) {
            throw fileGone(batch, "error file " + batch.errorFileId());
        } catch (IOException e) {
            throw new UncheckedIOException("reading the error file of " + batch.id(), e);
        }
        return ids;
    }

    /** The top-level {@code custom_id} of the object whose start the parser is at; the parser ends at its end. */
    private static String customId(JsonParser parser) throws IOException {
        String customId = null;
        for (JsonToken token; (token = parser.nextToken()) == JsonToken.FIELD_NAME; ) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (name.equals("custom_id") && value == JsonToken.VALUE_STRING) {
                customId = parser.getText();
            } else {
                parser.skipChildren();
            }
        }
        return customId;
    }

    /** The input's lines to copy, by their index among the stream's lines, and their length with line ends. */
    private record Selection(BitSet lines, long bytes) {}

    private Selection select(String inputKey, Set<String> failed, Batch batch) {
        BitSet lines = new BitSet();
        long bytes = 0;
        try (JsonlLines input = new JsonlLines(open(inputKey, batch))) {
            int index = 0;
            for (byte[] line; (line = input.next()) != null; index++) {
                if (failed.contains(customIdOf(line))) {
                    lines.set(index);
                    bytes += line.length + 1;
                }
            }
        }
        return new Selection(lines, bytes);
    }

    /** A request line's custom id; null for a blank line (which the validator skipped). */
    private static String customIdOf(byte[] line) {
        try (JsonParser parser = Json.MAPPER.createParser(line)) {
            return parser.nextToken() == JsonToken.START_OBJECT ? customId(parser) : null;
        } catch (IOException e) {
            // An accepted batch's lines are JSON objects; a line that is not cannot be one that ran.
            return null;
        }
    }

    private InputStream open(String inputKey, Batch batch) {
        try {
            return content.open(inputKey);
        } catch (FileContentStore.NoSuchKey e) {
            throw fileGone(batch, "input file " + batch.inputFileId());
        }
    }

    private static ApiException fileGone(Batch batch, String which) {
        return ApiException.invalid(
                "Cannot retry batch " + batch.id() + ": its " + which + " no longer exists.", null, "file_not_found");
    }

    /** The chosen lines of a stream, each ended by a line feed, read as one stream. */
    private static final class SelectedLines extends InputStream {

        private final JsonlLines lines;
        private final BitSet chosen;
        private int index = -1;
        private byte[] current = new byte[0];
        /** Past the end of the (empty) line before the first: the first read moves to the first chosen line. */
        private int at = 1;

        SelectedLines(InputStream in, BitSet chosen) {
            this.lines = new JsonlLines(in);
            this.chosen = chosen;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] into, int offset, int length) {
            if (length == 0) {
                return 0;
            }
            if (at == current.length + 1 && !advance()) {
                return -1;
            }
            int copied = 0;
            while (copied < length) {
                if (at < current.length) {
                    int n = Math.min(length - copied, current.length - at);
                    System.arraycopy(current, at, into, offset + copied, n);
                    at += n;
                    copied += n;
                } else if (at == current.length) {
                    into[offset + copied++] = '\n';
                    at++;
                } else if (!advance()) {
                    break;
                }
            }
            return copied;
        }

        /** Moves to the next chosen line; false when there is none. */
        private boolean advance() {
            int next = chosen.nextSetBit(index + 1);
            if (next < 0) {
                return false;
            }
            for (; index < next; index++) {
                current = lines.next();
                if (current == null) {
                    throw new IllegalStateException("the input file ended before line " + next);
                }
            }
            at = 0;
            return true;
        }

        @Override
        public void close() {
            lines.close();
        }
    }
}
