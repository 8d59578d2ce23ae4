package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a batch's input file once, as a stream, applying OpenAI's file-level rules to every line
 * and cutting the lines into chunks as it goes. Memory holds one line, one chunk (at most
 * {@link Limits#chunkBytes} unless one line is longer) and the set of custom ids seen, never the file.
 *
 * <p>Blank lines are skipped; a UTF-8 byte-order mark at the start and carriage returns before
 * line feeds are dropped, so files written on Windows validate as they were meant. Anything else that
 * is not UTF-8 is refused, line by line, before the JSON parser could guess at another encoding.
 *
 * <p>A file that fails leaves no chunk behind: those cut before the first error are removed.
 */
public final class InputValidator {

    private static final int BLOCK_BYTES = 1 << 16;

    /** The longest {@code custom_id} accepted: room for any UUID or composite key, and a bound on memory. */
    public static final int MAX_CUSTOM_ID_LENGTH = 512;

    /**
     * The longest request line, 8 MiB, as large as a chunk is cut ({@link Limits#CHUNK_BYTES}). Memory
     * holds a line whole (as bytes and as a tree) in the validator and in the worker, so a line is
     * bounded however large the file may be; 8 MiB leaves room for inline {@code data:} images of
     * about 6 MB, and larger images are referenced by {@code s3://} or {@code https://} URL. A longer
     * line is measured as it streams by, not held.
     */
    public static final int MAX_LINE_BYTES = 8 * 1024 * 1024;

    /**
     * @param maxRequests the most request lines a batch may have (OpenAI: 50,000)
     * @param maxBytes    the largest input file (OpenAI: 200 MB)
     * @param chunkLines  how many lines go into one chunk, or at least, when the input is {@link Spread}
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
        /**
         * Every line is a valid request: {@code total} of them, cut into {@code chunks}; {@code model}
         * is the one model the lines' bodies name, or null when they name several or none.
         */
        record Valid(
                @JsonProperty("total") int total,
                @JsonProperty("chunks") List<Chunk> chunks,
                @JsonProperty("model") String model)
                implements Result {

            public Valid(int total, List<Chunk> chunks) {
                this(total, chunks, null);
            }
        }

        /** The file is refused; the batch fails with these errors. */
        record Invalid(List<Batch.Error> errors) implements Result {}
    }

    private final Limits limits;
    private final ChunkStore chunks;

    public InputValidator(Limits limits, ChunkStore chunks) {
        this.limits = limits;
        this.chunks = chunks;
    }

    /**
     * Over how many chunks an input is spread: the Map's concurrency, so that a batch whose lines allow
     * it runs in one wave. Chunks that end together leave the endpoint idle until the next ones start
     * (their messages, workers and leases take most of a second), which in a batch of 20 chunks, ten
     * at once, cost a twentieth of its throughput; spread over ten, only the batch's own end is left.
     * A chunk ends at the first line past its share of the input's bytes, or past 2 MiB ({@link
     * #MAX_BYTES}), so there are never more chunks than {@code chunks} but for those bounds, and never
     * one of fewer than {@code chunk_lines} lines but the last.
     *
     * @param inputBytes the input's size
     * @param chunks     how many chunks it is spread over at most; 1 with {@link #NONE}, whose chunks
     *                   are cut at {@code chunk_lines} lines alone
     */
    public record Spread(long inputBytes, int chunks) {

        public static final Spread NONE = new Spread(0, 1);

        /**
         * Past {@code chunk_lines} lines a chunk grows only while under 2 MiB: the validator holds a
         * chunk whole while it cuts it and the worker its part, and a large file runs long enough that
         * its waves do not matter.
         */
        public static final int MAX_BYTES = 2 * 1024 * 1024;

        /** The input offset past which chunk {@code index} may end. */
        long end(int index) {
            return inputBytes / chunks * (index + 1L) + Math.min(index + 1L, inputBytes % chunks);
        }
    }

    /** Validates and cuts at {@code chunk_lines} lines a chunk, spread over no fewer chunks. */
    public Result validate(String batchId, String endpoint, InputStream input) {
        return validate(batchId, endpoint, input, Spread.NONE);
    }

    public Result validate(String batchId, String endpoint, InputStream input, Spread spread) {
        Run run = new Run(batchId, endpoint, spread);
        try (InputStream in = input) {
            run.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the input file of " + batchId, e);
        }
        Result result = run.result();
        if (result instanceof Result.Valid valid) {
            chunks.writeCut(batchId, Json.write(valid));
        }
        return result;
    }

    /**
     * How an earlier validation cut the batch's input, if one did: its chunks are written and stay, so
     * a later run (the sweeper's, after a stall) goes on from them without reading the input again —
     * which may have expired, and been removed, since the batch was accepted.
     */
    public Optional<Result.Valid> cut(String batchId) {
        return chunks.readCut(batchId).map(bytes -> {
            try {
                return Json.MAPPER.readValue(bytes, Result.Valid.class);
            } catch (IOException e) {
                throw new IllegalStateException("the cut of " + batchId + " is not JSON", e);
            }
        });
    }

    /** The state of one validation pass. */
    private final class Run {
        private final String batchId;
        private final String endpoint;
        private final Map<String, Integer> lineOfCustomId = new HashMap<>();
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        private final CharBuffer decoded = CharBuffer.allocate(8192);
        private final List<Batch.Error> errors = new ArrayList<>();
        private int errorCount;
        private final List<Chunk> written = new ArrayList<>();
        private final ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        private int chunkFirstRequest;
        private int chunkLines;
        private int requests;
        /** The one model the lines named so far; forgotten once two differ. */
        private String model;

        private boolean severalModels;
        private long bytes;
        private boolean stopped;

        private final Spread spread;
        /** Where in the input the line being accepted ends. */
        private long lineEnd;

        Run(String batchId, String endpoint, Spread spread) {
            this.batchId = batchId;
            this.endpoint = endpoint;
            this.spread = spread;
        }

        /** Scans a block at a time for line ends: a byte at a time through a stream costs seconds on 200 MB. */
        void read(InputStream in) throws IOException {
            LineBuffer line = new LineBuffer(MAX_LINE_BYTES);
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
                        lineEnd = bytes - allowed + i + 1;
                        accept(++lineNumber, line);
                        line.reset();
                        start = i + 1;
                    }
                }
                if (stopped) {
                    break;
                }
                line.write(block, start, allowed - start);
                if (allowed < read) {
                    fileError(
                            "file_too_large",
                            "The input file is larger than the limit of " + limits.maxBytes() + " bytes.");
                    return;
                }
            }
            if (!stopped && line.length() > 0) {
                lineEnd = bytes;
                accept(++lineNumber, line);
            }
            if (!stopped && requests == 0 && errors.isEmpty()) {
                fileError("empty_file", "The input file has no requests.");
            }
            flushChunk();
        }

        private void accept(int lineNumber, LineBuffer raw) {
            if (lineNumber == 1 && raw.startsWithUtf16ByteOrderMark()) {
                fileError(
                        "invalid_file_format",
                        "The input file is UTF-16 (it begins with a UTF-16 byte-order "
                                + "mark); a batch's input file must be UTF-8.");
                return;
            }
            byte[] line = raw.tooLong() ? null : trim(raw.toByteArray(), lineNumber == 1);
            if (line != null && isBlank(line)) {
                return;
            }
            if (++requests > limits.maxRequests()) {
                fileError(
                        "too_many_tasks",
                        "The input file has more than " + limits.maxRequests() + " requests; a batch may have at most "
                                + limits.maxRequests() + ".");
                return;
            }
            Batch.Error error = line == null ? tooLong(lineNumber, raw.length()) : check(lineNumber, line);
            if (error != null) {
                lineError(error);
                return;
            }
            if (errorCount == 0) {
                addToChunk(line);
            }
        }

        private Batch.Error check(int lineNumber, byte[] line) {
            String notUtf8 = notUtf8(line);
            if (notUtf8 != null) {
                return notJson(notUtf8, lineNumber);
            }
            JsonNode request;
            try {
                request = Json.readWhole(line);
            } catch (JsonProcessingException e) {
                return notJson(reason(e), lineNumber);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (request == null) {
                return notJson(null, lineNumber);
            }
            if (!request.isObject()) {
                return new Batch.Error("invalid_json_line", "This line is not a JSON object.", null, lineNumber);
            }
            for (String required : new String[] {"custom_id", "method", "url", "body"}) {
                if (request.get(required) == null || request.get(required).isNull()) {
                    return new Batch.Error(
                            "missing_required_parameter",
                            "Missing required parameter: '" + required + "'.",
                            required,
                            lineNumber);
                }
            }
            JsonNode customId = request.get("custom_id");
            if (!customId.isTextual()) {
                return typeError("custom_id", "a string", customId, lineNumber);
            }
            if (customId.textValue().isEmpty() || customId.textValue().length() > MAX_CUSTOM_ID_LENGTH) {
                return new Batch.Error(
                        "invalid_value",
                        "Invalid 'custom_id': expected between 1 and " + MAX_CUSTOM_ID_LENGTH + " characters, but got "
                                + customId.textValue().length() + ".",
                        "custom_id",
                        lineNumber);
            }
            JsonNode method = request.get("method");
            if (!method.isTextual() || !method.textValue().equals("POST")) {
                return new Batch.Error(
                        "invalid_method",
                        "Invalid 'method': only POST is supported, but got " + method + ".",
                        "method",
                        lineNumber);
            }
            JsonNode url = request.get("url");
            if (!url.isTextual() || !url.textValue().equals(endpoint)) {
                String hint = url.isTextual() && url.textValue().startsWith(endpoint + "?")
                        ? " (a query string is not part of the endpoint)"
                        : "";
                return new Batch.Error(
                        "invalid_url",
                        "The URL provided for this request does not match the batch " + "endpoint: expected '"
                                + endpoint + "', but got " + url + hint + ".",
                        "url",
                        lineNumber);
            }
            JsonNode body = request.get("body");
            if (!body.isObject()) {
                return typeError("body", "an object", body, lineNumber);
            }
            // The worker reads one JSON answer per request; a stream of server-sent events is not one.
            JsonNode stream = body.get("stream");
            if (stream != null && !stream.isNull() && !(stream.isBoolean() && !stream.booleanValue())) {
                return new Batch.Error(
                        "invalid_value",
                        "Invalid 'body.stream': the Batch API does not stream " + "responses, but got " + stream
                                + "; remove 'stream' or set it to false.",
                        "body.stream",
                        lineNumber);
            }
            JsonNode named = body.get("model");
            if (named != null && named.isTextual() && !severalModels) {
                severalModels = model != null && !model.equals(named.textValue());
                model = severalModels ? null : named.textValue();
            }
            Integer earlier = lineOfCustomId.putIfAbsent(customId.textValue(), lineNumber);
            if (earlier != null) {
                return new Batch.Error(
                        "duplicate_custom_id",
                        "The custom_id '" + customId.textValue() + "' is already used on line " + earlier
                                + "; every request needs its own custom_id.",
                        "custom_id",
                        lineNumber);
            }
            return null;
        }

        /** Why the line is not UTF-8 text, or null when it is. */
        private String notUtf8(byte[] line) {
            for (int i = 0; i < line.length; i++) {
                if (line[i] == 0) {
                    return "It contains a NUL byte at byte " + (i + 1) + " (is the file UTF-16?); the input file "
                            + "must be UTF-8.";
                }
            }
            ByteBuffer in = ByteBuffer.wrap(line);
            utf8.reset();
            CoderResult result;
            do {
                decoded.clear();
                result = utf8.decode(in, decoded, true);
            } while (result.isOverflow());
            if (result.isError()) {
                return String.format(
                        Locale.ROOT,
                        "It is not UTF-8: byte 0x%02x at byte %d cannot be " + "decoded; the input file must be UTF-8.",
                        line[in.position()] & 0xff,
                        in.position() + 1);
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
            if (++chunkLines >= limits.chunkLines()
                    && (lineEnd >= spread.end(written.size()) || chunk.size() >= Spread.MAX_BYTES)) {
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
                return new Result.Valid(requests, List.copyOf(written), model);
            }
            chunks.deleteChunks(batchId);
            List<Batch.Error> reported = new ArrayList<>(errors);
            if (errorCount > errors.size()) {
                reported.add(new Batch.Error(
                        "too_many_errors",
                        (errorCount - errors.size()) + " more errors were found and are not listed.",
                        null,
                        null));
            }
            return new Result.Invalid(reported);
        }
    }

    /** OpenAI's words for a line that is not JSON, and what the parser found, when it said. */
    private static Batch.Error notJson(String reason, int line) {
        return new Batch.Error(
                "invalid_json_line",
                "This line is not parseable as valid JSON." + (reason == null ? "" : " " + reason),
                null,
                line);
    }

    /**
     * The parser's reason, without the parts meant for a programmer: the source and the setting that
     * holds a limit. A line nested deeper than 1000 levels reads "Document nesting depth (1001)
     * exceeds the maximum allowed (1000)".
     */
    private static String reason(JsonProcessingException e) {
        String message = e.getOriginalMessage() == null
                ? "The parser stopped"
                : e.getOriginalMessage().replaceAll(", from `[^`]*`\\)", ")");
        int marker = message.indexOf(" (start marker at");
        if (marker >= 0) {
            message = message.substring(0, marker);
        }
        int column = e.getLocation() == null ? -1 : e.getLocation().getColumnNr();
        return message + (column > 0 ? ", at column " + column : "") + ".";
    }

    private static Batch.Error tooLong(int line, long length) {
        return new Batch.Error(
                "line_too_large",
                "This line has " + length + " bytes; a request line may have at most "
                        + MAX_LINE_BYTES + " bytes (8 MiB). Reference large images by s3:// or https:// URL instead of "
                        + "inlining them.",
                null,
                line);
    }

    private static Batch.Error typeError(String param, String expected, JsonNode got, int line) {
        return new Batch.Error(
                "invalid_type",
                "Invalid type for '" + param + "': expected " + expected + ", but got " + Json.describeType(got)
                        + " instead.",
                param,
                line);
    }

    private static byte[] trim(byte[] line, boolean first) {
        int from = first
                        && line.length >= 3
                        && (line[0] & 0xff) == 0xEF
                        && (line[1] & 0xff) == 0xBB
                        && (line[2] & 0xff) == 0xBF
                ? 3
                : 0;
        int to = line.length > from && line[line.length - 1] == '\r' ? line.length - 1 : line.length;
        return from == 0 && to == line.length ? line : Arrays.copyOfRange(line, from, to);
    }

    /** The bytes of one line, kept up to a bound: a longer line is measured as it streams by, not held. */
    private static final class LineBuffer extends ByteArrayOutputStream {
        private final int max;
        private long length;

        LineBuffer(int max) {
            this.max = max;
        }

        @Override
        public void write(int b) {
            length++;
            if (count < max) {
                super.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            length += len;
            super.write(b, off, Math.min(len, max - count));
        }

        @Override
        public void reset() {
            super.reset();
            length = 0;
        }

        /** The line's length in bytes, whether held or not. */
        long length() {
            return length;
        }

        boolean tooLong() {
            return length > max;
        }

        boolean startsWithUtf16ByteOrderMark() {
            return count >= 2
                    && ((buf[0] & 0xff) == 0xFF && (buf[1] & 0xff) == 0xFE
                            || (buf[0] & 0xff) == 0xFE && (buf[1] & 0xff) == 0xFF);
        }
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
