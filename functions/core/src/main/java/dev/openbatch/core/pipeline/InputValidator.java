package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a batch's input file once, as a stream, applying OpenAI's file-level rules to every line
 * and cutting the lines into chunks as it goes. Memory holds one line, one chunk (at most
 * {@link Limits#chunkBytes} unless one line is longer) and the set of custom ids seen, never the file.
 *
 * <p>Blank lines are skipped; a UTF-8 byte-order mark at the start and carriage returns before
 * line feeds are dropped, so files written on Windows validate as they were meant.
 */
public final class InputValidator {

    private static final int BLOCK_BYTES = 1 << 16;

    /** The longest {@code custom_id} accepted: room for any UUID or composite key, and a bound on memory. */
    public static final int MAX_CUSTOM_ID_LENGTH = 512;

    /**
     * @param maxRequests the most request lines a batch may have (OpenAI: 50,000)
     * @param maxBytes    the largest input file (OpenAI: 200 MB)
     * @param chunkLines  how many lines go into one chunk
     * @param maxErrors   how many errors are reported one by one before the rest are counted
     * @param chunkBytes  how many bytes a chunk may hold before it is cut short of {@code chunkLines}
     *                    (a line longer than this makes a chunk of its own)
     */
    public record Limits(int maxRequests, long maxBytes, int chunkLines, int maxErrors, int chunkBytes) {

        /**
         * 8 MiB: a chunk is held whole while it is cut, and lines with inline images can be
         * megabytes each, so a count of lines alone would let a chunk grow with the file.
         */
        public static final int CHUNK_BYTES = 8 * 1024 * 1024;

        public static final Limits OPENAI = new Limits(50_000, 200_000_000L, 500, 100);

        public Limits(int maxRequests, long maxBytes, int chunkLines, int maxErrors) {
            this(maxRequests, maxBytes, chunkLines, maxErrors, CHUNK_BYTES);
        }

        public Limits withChunkLines(int lines) {
            return new Limits(maxRequests, maxBytes, lines, maxErrors, chunkBytes);
        }
    }

    /** What validation found. */
    public sealed interface Result {
        /** Every line is a valid request: {@code total} of them, cut into {@code chunks}. */
        record Valid(int total, List<Chunk> chunks) implements Result {}

        /** The file is refused; the batch fails with these errors. */
        record Invalid(List<Batch.Error> errors) implements Result {}
    }

    private final Limits limits;
    private final ChunkStore chunks;

    public InputValidator(Limits limits, ChunkStore chunks) {
        this.limits = limits;
        this.chunks = chunks;
    }

    public Result validate(String batchId, String endpoint, InputStream input) {
        Run run = new Run(batchId, endpoint);
        try (InputStream in = input) {
            run.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the input file of " + batchId, e);
        }
        return run.result();
    }

    /** The state of one validation pass. */
    private final class Run {
        private final String batchId;
        private final String endpoint;
        private final Map<String, Integer> lineOfCustomId = new HashMap<>();
        private final List<Batch.Error> errors = new ArrayList<>();
        private int errorCount;
        private final List<Chunk> written = new ArrayList<>();
        private final ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        private int chunkFirstRequest;
        private int chunkLines;
        private int requests;
        private long bytes;
        private boolean stopped;

        Run(String batchId, String endpoint) {
            this.batchId = batchId;
            this.endpoint = endpoint;
        }

        /** Scans a block at a time for line ends: a byte at a time through a stream costs seconds on 200 MB. */
        void read(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] block = new byte[BLOCK_BYTES];
            int lineNumber = 0;
            int read;
            while (!stopped && (read = in.read(block)) != -1) {
                int allowed = (int) Math.min(read, limits.maxBytes() - bytes);
                bytes += allowed;
                int start = 0;
                for (int i = 0; i < allowed && !stopped; i++) {
                    if (block[i] == '\n') {
                        line.write(block, start, i - start);
                        accept(++lineNumber, line.toByteArray());
                        line.reset();
                        start = i + 1;
                    }
                }
                if (stopped) {
                    break;
                }
                line.write(block, start, allowed - start);
                if (allowed < read) {
                    fileError("file_too_large", "The input file is larger than the limit of " + limits.maxBytes()
                            + " bytes.");
                    return;
                }
            }
            if (!stopped && line.size() > 0) {
                accept(++lineNumber, line.toByteArray());
            }
            if (!stopped && requests == 0 && errors.isEmpty()) {
                fileError("empty_file", "The input file has no requests.");
            }
            flushChunk();
        }

        private void accept(int lineNumber, byte[] raw) {
            byte[] line = trim(raw, lineNumber == 1);
            if (isBlank(line)) {
                return;
            }
            if (++requests > limits.maxRequests()) {
                fileError("too_many_tasks", "The input file has more than " + limits.maxRequests()
                        + " requests; a batch may have at most " + limits.maxRequests() + ".");
                return;
            }
            Batch.Error error = check(lineNumber, line);
            if (error != null) {
                lineError(error);
                return;
            }
            if (errorCount == 0) {
                addToChunk(line);
            }
        }

        private Batch.Error check(int lineNumber, byte[] line) {
            JsonNode request;
            try {
                request = Json.MAPPER.readTree(line);
            } catch (IOException e) {
                request = null;
            }
            if (request == null || request.isMissingNode()) {
                return new Batch.Error("invalid_json_line", "This line is not parseable as valid JSON.", null, lineNumber);
            }
            if (!request.isObject()) {
                return new Batch.Error("invalid_json_line", "This line is not a JSON object.", null, lineNumber);
            }
            for (String required : new String[] {"custom_id", "method", "url", "body"}) {
                if (request.get(required) == null || request.get(required).isNull()) {
                    return new Batch.Error("missing_required_parameter",
                            "Missing required parameter: '" + required + "'.", required, lineNumber);
                }
            }
            JsonNode customId = request.get("custom_id");
            if (!customId.isTextual()) {
                return typeError("custom_id", "a string", customId, lineNumber);
            }
            if (customId.textValue().isEmpty() || customId.textValue().length() > MAX_CUSTOM_ID_LENGTH) {
                return new Batch.Error("invalid_value", "Invalid 'custom_id': expected between 1 and "
                        + MAX_CUSTOM_ID_LENGTH + " characters, but got " + customId.textValue().length() + ".",
                        "custom_id", lineNumber);
            }
            JsonNode method = request.get("method");
            if (!method.isTextual() || !method.textValue().equals("POST")) {
                return new Batch.Error("invalid_method", "Invalid 'method': only POST is supported, but got "
                        + method + ".", "method", lineNumber);
            }
            JsonNode url = request.get("url");
            if (!url.isTextual() || !url.textValue().equals(endpoint)) {
                return new Batch.Error("invalid_url", "The URL provided for this request does not match the batch "
                        + "endpoint: expected '" + endpoint + "', but got " + url + ".", "url", lineNumber);
            }
            if (!request.get("body").isObject()) {
                return typeError("body", "an object", request.get("body"), lineNumber);
            }
            Integer earlier = lineOfCustomId.putIfAbsent(customId.textValue(), lineNumber);
            if (earlier != null) {
                return new Batch.Error("duplicate_custom_id", "The custom_id '" + customId.textValue()
                        + "' is already used on line " + earlier + "; every request needs its own custom_id.",
                        "custom_id", lineNumber);
            }
            return null;
        }

        private void addToChunk(byte[] line) {
            if (chunkLines > 0 && chunk.size() + line.length + 1 > limits.chunkBytes()) {
                flushChunk();
            }
            if (chunkLines == 0) {
                chunkFirstRequest = requests;
            }
            chunk.writeBytes(line);
            chunk.write('\n');
            if (++chunkLines == limits.chunkLines()) {
                flushChunk();
            }
        }

        private void flushChunk() {
            if (chunkLines > 0 && errorCount == 0) {
                int index = written.size();
                chunks.writeChunk(batchId, index, chunk.toByteArray());
                written.add(new Chunk(index, chunkFirstRequest, chunkLines));
            }
            chunk.reset();
            chunkLines = 0;
        }

        private void lineError(Batch.Error error) {
            errorCount++;
            if (errors.size() < limits.maxErrors()) {
                errors.add(error);
            }
        }

        /** An error of the whole file: reading stops, nothing further is worth reporting. */
        private void fileError(String code, String message) {
            lineError(new Batch.Error(code, message, null, null));
            stopped = true;
        }

        Result result() {
            if (errorCount == 0) {
                return new Result.Valid(requests, List.copyOf(written));
            }
            List<Batch.Error> reported = new ArrayList<>(errors);
            if (errorCount > errors.size()) {
                reported.add(new Batch.Error("too_many_errors", (errorCount - errors.size())
                        + " more errors were found and are not listed.", null, null));
            }
            return new Result.Invalid(reported);
        }
    }

    private static Batch.Error typeError(String param, String expected, JsonNode got, int line) {
        return new Batch.Error("invalid_type", "Invalid type for '" + param + "': expected " + expected
                + ", but got " + Json.describeType(got) + " instead.", param, line);
    }

    private static byte[] trim(byte[] line, boolean first) {
        int from = first && line.length >= 3 && (line[0] & 0xff) == 0xEF && (line[1] & 0xff) == 0xBB
                && (line[2] & 0xff) == 0xBF ? 3 : 0;
        int to = line.length > from && line[line.length - 1] == '\r' ? line.length - 1 : line.length;
        return from == 0 && to == line.length ? line : Arrays.copyOfRange(line, from, to);
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t') {
                return false;
            }
        }
        return true;
    }
}
