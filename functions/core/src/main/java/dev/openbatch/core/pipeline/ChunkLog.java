package dev.openbatch.core.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.report.Calls;
import dev.openbatch.core.report.ChunkStats;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A chunk's checkpoint log: the lines its runs have ended so far, in numbered segments, each
 * written once by whichever run writes it first and never rewritten. A line's end is the one in the
 * first segment that holds it; a run appends only lines the log does not hold yet. Every run, the
 * dead-letter consumer and the finalizer read the log alike, so the part assembled from a log that
 * holds every line is the same bytes, whoever assembles it and however many runs raced.
 *
 * <p>A segment is a header line, {@code {"offsets":[0,3],"kinds":"oe","traces":[…],"run":{…}}} —
 * each line's offset in the chunk and where it goes: {@code o} the output, {@code e} the errors,
 * {@code x} the errors as expired; each line's {@link LineTrace} (null where none was measured); the
 * run that wrote it, when a worker run did ({@code id}, {@code started}, {@code at} in epoch ms, its
 * {@code memory_mb}, and the {@code calls} it had made so far) — then those lines' JSON, one a line, in that order. The
 * traces and runs are what the part's {@link ChunkStats} are made of, so they too count once.
 */
final class ChunkLog {

    private static final byte OUTPUT = 'o';
    private static final byte ERROR = 'e';
    private static final byte EXPIRED = 'x';

    private final ChunkStore store;
    private final String batchId;
    private final Chunk chunk;
    /** By offset in the chunk: the line's JSON as the log holds it, null while it has not ended. */
    private final byte[][] ended;

    private final byte[] kinds;
    /** By offset in the chunk: what the line took, where the run that ended it measured it. */
    private final JsonNode[] traces;
    /** The worker runs whose segments the log holds, by id: the last header each wrote. */
    private final Map<String, JsonNode> runs = new HashMap<>();
    /** The run appending to this log, if a worker run is. */
    private final RunMeter run;

    private final Clock clock;
    private int covered;
    private int next;

    private ChunkLog(ChunkStore store, String batchId, Chunk chunk, RunMeter run, Clock clock) {
        this.store = store;
        this.batchId = batchId;
        this.chunk = chunk;
        this.ended = new byte[chunk.lines()][];
        this.kinds = new byte[chunk.lines()];
        this.traces = new JsonNode[chunk.lines()];
        this.run = run;
        this.clock = clock;
    }

    /** The log as the store holds it now: every segment written, in order. */
    static ChunkLog read(ChunkStore store, String batchId, Chunk chunk) {
        return read(store, batchId, chunk, null, Clock.systemUTC());
    }

    /** The log as the store holds it now, for a worker run that appends to it. */
    static ChunkLog read(ChunkStore store, String batchId, Chunk chunk, RunMeter run, Clock clock) {
        ChunkLog log = new ChunkLog(store, batchId, chunk, run, clock);
        for (Optional<byte[]> segment; (segment = store.readSegment(batchId, chunk.index(), log.next)).isPresent(); ) {
            log.adopt(segment.get());
        }
        return log;
    }

    /**
     * A chunk's requests, from its object: a sequence of JSON objects, one per line. Read as a sequence
     * of values, not as text lines, since a valid line may hold a carriage return between its tokens,
     * which a line reader would take for a line end.
     */
    static List<RequestLine> requests(ChunkStore store, String batchId, int index, int firstRequest) {
        List<RequestLine> lines = new ArrayList<>();
        try (MappingIterator<JsonNode> requests =
                Json.MAPPER.readerFor(JsonNode.class).readValues(store.readChunk(batchId, index))) {
            int offset = 0;
            while (requests.hasNextValue()) {
                JsonNode request = requests.nextValue();
                lines.add(new RequestLine(
                        firstRequest + offset++,
                        request.get("custom_id").textValue(),
                        request.get("url").textValue(),
                        request.get("body")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading chunk " + index + " of " + batchId, e);
        }
        return lines;
    }

    /** A line's end, ready to append: its offset in the chunk, where it goes, its JSON, and its trace if measured. */
    record Ended(int offset, byte kind, byte[] json, LineTrace trace) {

        static Ended of(int offset, OutputLine line) {
            return of(offset, line, null);
        }

        static Ended of(int offset, OutputLine line, LineTrace trace) {
            byte kind = line.succeeded() ? OUTPUT : RunChunk.EXPIRED.equals(line.error()) ? EXPIRED : ERROR;
            return new Ended(offset, kind, Json.write(line), trace);
        }
    }

    synchronized boolean hasEnded(RequestLine line) {
        return ended[line.position() - chunk.firstRequest()] != null;
    }

    synchronized int covered() {
        return covered;
    }

    synchronized boolean whole() {
        return covered == chunk.lines();
    }

    /**
     * Appends the lines (those the log does not hold yet) as its next segment. Where another run
     * wrote that segment first, its lines are adopted, and the rest go into the segment after.
     */
    synchronized void append(List<Ended> lines) {
        while (true) {
            List<Ended> fresh =
                    lines.stream().filter(line -> ended[line.offset()] == null).toList();
            if (fresh.isEmpty()) {
                return;
            }
            if (store.writeSegment(batchId, chunk.index(), next, encode(fresh, runHeader()))) {
                for (Ended line : fresh) {
                    ended[line.offset()] = line.json();
                    kinds[line.offset()] = line.kind();
                    traces[line.offset()] = line.trace() == null ? null : Json.MAPPER.valueToTree(line.trace());
                }
                covered += fresh.size();
                next++;
                return;
            }
            adopt(store.readSegment(batchId, chunk.index(), next)
                    .orElseThrow(() -> new IllegalStateException("segment " + next + " of chunk " + chunk.index()
                            + " of " + batchId + " was written, yet is not there")));
        }
    }

    /** Ends every line the log does not hold yet with this error, in the log, as never sent and ended now. */
    void endRest(List<RequestLine> lines, OutputLine.Error error) {
        long now = clock.millis();
        append(lines.stream()
                .filter(line -> !hasEnded(line))
                .map(line -> Ended.of(
                        line.position() - chunk.firstRequest(),
                        new OutputLine(ChunkRunner.lineId(batchId, line.position()), line.customId(), null, error),
                        new LineTrace(null, 0, List.of(), 0, null, now, now)))
                .toList());
    }

    /** The chunk's part, assembled from a log that holds every line, and written: answers the counts that stand. */
    synchronized PartCounts writePart() {
        if (!whole()) {
            throw new IllegalStateException("chunk " + chunk.index() + " of " + batchId + " has "
                    + (chunk.lines() - covered) + " lines not ended");
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        long completed = 0;
        long expired = 0;
        Batch.Usage usage = Batch.Usage.ZERO;
        ChunkStats.Builder stats = new ChunkStats.Builder();
        for (int offset = 0; offset < ended.length; offset++) {
            ByteArrayOutputStream side = kinds[offset] == OUTPUT ? output : errors;
            side.writeBytes(ended[offset]);
            side.write('\n');
            JsonNode line = parse(ended[offset], "line " + offset);
            Batch.Usage used = Batch.Usage.ZERO;
            if (kinds[offset] == OUTPUT) {
                completed++;
                used = LineUsage.of(line.path("response").get("body"));
                usage = usage.plus(used);
            }
            stats.line(kinds[offset] == OUTPUT, line, used, trace(traces[offset]));
            expired += kinds[offset] == EXPIRED ? 1 : 0;
        }
        if (run != null) {
            runs.put(run.id, runHeader());
        }
        runs.values().forEach(seen -> countRun(stats, seen));
        return store.writePart(
                batchId,
                chunk.index(),
                output.toByteArray(),
                errors.toByteArray(),
                new PartCounts(completed, ended.length - completed, expired, usage, stats.build()));
    }

    /** This run, as a segment's header names it: null when no worker run writes. */
    private ObjectNode runHeader() {
        if (run == null) {
            return null;
        }
        ObjectNode header = Json.MAPPER
                .createObjectNode()
                .put("id", run.id)
                .put("started", run.startedMillis)
                .put("at", clock.millis())
                .put("memory_mb", run.memoryMb);
        header.set("calls", Json.MAPPER.valueToTree(run.calls()));
        return header;
    }

    private static void countRun(ChunkStats.Builder stats, JsonNode run) {
        try {
            stats.run(
                    run.path("at").asLong() - run.path("started").asLong(),
                    run.path("memory_mb").asInt(RunChunk.MEMORY_MB),
                    Json.MAPPER.treeToValue(run.get("calls"), Calls.class));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static LineTrace trace(JsonNode trace) {
        if (trace == null || !trace.isObject()) {
            return null;
        }
        try {
            return Json.MAPPER.treeToValue(trace, LineTrace.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode parse(byte[] json, String which) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(which + " of chunk " + chunk.index() + " of " + batchId, e);
        }
    }

    private static byte[] encode(List<Ended> lines, ObjectNode run) {
        ObjectNode header = Json.MAPPER.createObjectNode();
        ArrayNode offsets = header.putArray("offsets");
        StringBuilder kinds = new StringBuilder();
        int size = 64;
        for (Ended line : lines) {
            offsets.add(line.offset());
            kinds.append((char) line.kind());
            size += line.json().length + 1;
        }
        header.put("kinds", kinds.toString());
        if (lines.stream().anyMatch(line -> line.trace() != null)) {
            ArrayNode traces = header.putArray("traces");
            lines.forEach(line ->
                    traces.add(line.trace() == null ? Json.MAPPER.nullNode() : Json.MAPPER.valueToTree(line.trace())));
        }
        if (run != null) {
            header.set("run", run);
        }
        byte[] head = Json.write(header);
        ByteArrayOutputStream segment = new ByteArrayOutputStream(size + head.length + 1);
        segment.writeBytes(head);
        segment.write('\n');
        for (Ended line : lines) {
            segment.writeBytes(line.json());
            segment.write('\n');
        }
        return segment.toByteArray();
    }

    /** Takes in the next segment: its lines that no earlier segment holds, and the run that wrote it. */
    private void adopt(byte[] segment) {
        JsonNode header = eachLine(
                segment,
                "segment " + next + " of chunk " + chunk.index() + " of " + batchId,
                (offset, kind, from, to, trace) -> {
                    if (ended[offset] == null) {
                        ended[offset] = Arrays.copyOfRange(segment, from, to);
                        kinds[offset] = kind;
                        traces[offset] = trace;
                        covered++;
                    }
                });
        keepRun(runs, header);
        next++;
    }

    /** Keeps the run a segment's header names, if it is that run's latest so far. */
    private static void keepRun(Map<String, JsonNode> runs, JsonNode header) {
        JsonNode run = header.get("run");
        if (run != null && run.isObject()) {
            runs.merge(
                    run.path("id").asText(),
                    run,
                    (a, b) -> b.path("at").asLong() >= a.path("at").asLong() ? b : a);
        }
    }

    /**
     * One line of a segment: its offset in the chunk, where it goes, where its JSON lies in the segment,
     * and its trace (null where none was measured).
     */
    private interface SegmentLine {
        void accept(int offset, byte kind, int from, int to, JsonNode trace);
    }

    /** Reads a segment's header and hands each of its lines, in the segment's order, to {@code each}; answers the header. */
    private static JsonNode eachLine(byte[] segment, String which, SegmentLine each) {
        int at = indexOf(segment, 0);
        JsonNode header;
        try {
            header = Json.MAPPER.readTree(segment, 0, at);
        } catch (IOException e) {
            throw new IllegalStateException(which + " has no header", e);
        }
        String lineKinds = header.get("kinds").asText();
        JsonNode offsets = header.get("offsets");
        JsonNode traces = header.path("traces");
        for (int i = 0; i < offsets.size(); i++) {
            int start = at + 1;
            at = indexOf(segment, start);
            JsonNode trace = traces.get(i);
            each.accept(
                    offsets.get(i).asInt(),
                    (byte) lineKinds.charAt(i),
                    start,
                    at,
                    trace == null || trace.isNull() ? null : trace);
        }
        return header;
    }

    /**
     * The stats of what a running chunk's log holds so far, by the log's rule (a line counts with the
     * first segment that holds it), as its part's will be once it is whole — but for the time of the
     * run still going, which its next segment tells.
     */
    static ChunkStats statsSoFar(ChunkStore store, String batchId, int index) {
        BitSet seen = new BitSet();
        Map<String, JsonNode> runs = new HashMap<>();
        ChunkStats.Builder stats = new ChunkStats.Builder();
        for (int seq = 0; ; seq++) {
            Optional<byte[]> segment = store.readSegment(batchId, index, seq);
            if (segment.isEmpty()) {
                break;
            }
            byte[] bytes = segment.get();
            String which = "segment " + seq + " of chunk " + index + " of " + batchId;
            JsonNode header = eachLine(bytes, which, (offset, kind, from, to, trace) -> {
                if (!seen.get(offset)) {
                    seen.set(offset);
                    JsonNode line;
                    try {
                        line = Json.MAPPER.readTree(bytes, from, to - from);
                    } catch (IOException e) {
                        throw new UncheckedIOException(which, e);
                    }
                    boolean output = kind == OUTPUT;
                    stats.line(
                            output,
                            line,
                            output ? LineUsage.of(line.path("response").get("body")) : Batch.Usage.ZERO,
                            trace(trace));
                }
            });
            keepRun(runs, header);
        }
        runs.values().forEach(run -> countRun(stats, run));
        return stats.build();
    }

    /**
     * The lines a chunk's log holds so far, read while its runs may still append: of its first
     * {@code segments} segments (all of them, with {@link Integer#MAX_VALUE}), each line's end by the
     * log's rule — the one in the first segment that holds it — keeping those of one side (the output,
     * or the errors, the expired included), in the order of the chunk, as its part will have them.
     * Segments are never rewritten, so reading the same number of segments again gives the same lines.
     */
    static SoFar soFar(ChunkStore store, String batchId, int index, int segments, ChunkStore.PartKind side) {
        BitSet seen = new BitSet();
        TreeMap<Integer, byte[]> kept = new TreeMap<>();
        int seq = 0;
        for (Optional<byte[]> segment;
                seq < segments && (segment = store.readSegment(batchId, index, seq)).isPresent();
                seq++) {
            byte[] bytes = segment.get();
            eachLine(bytes, "segment " + seq + " of chunk " + index + " of " + batchId, (offset, kind, from, to, t) -> {
                if (!seen.get(offset)) {
                    seen.set(offset);
                    if ((kind == OUTPUT) == (side == ChunkStore.PartKind.OUTPUT)) {
                        kept.put(offset, Arrays.copyOfRange(bytes, from, to));
                    }
                }
            });
        }
        return new SoFar(seq, List.copyOf(kept.values()));
    }

    /**
     * What {@link #soFar} read.
     *
     * @param segments how many segments it read: read as many again for the same lines
     * @param lines    the lines' JSON, without line ends, in the chunk's order
     */
    record SoFar(int segments, List<byte[]> lines) {

        /** Their length as a part holds them, each ended by a line feed. */
        long bytes() {
            return lines.stream().mapToLong(line -> line.length + 1L).sum();
        }

        byte[] joined() {
            ByteArrayOutputStream joined = new ByteArrayOutputStream((int) bytes());
            for (byte[] line : lines) {
                joined.writeBytes(line);
                joined.write('\n');
            }
            return joined.toByteArray();
        }
    }

    private static int indexOf(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return bytes.length;
    }

    /**
     * Keeps what a run ends (serialized on each line's own thread) and appends it to the log at most
     * every {@code every}, once as the batch's window ends ({@code windowEnd}, epoch seconds, none
     * for {@code unlimited}), and when {@link #flush} is called: what a crash can cost is the lines in
     * flight and those ended since the last append. At the window the finalizer may end the chunk
     * from its log while this run still goes on (see {@link ValidateBatch#WINDOW_GRACE_SECONDS}): what
     * ended in time is in the log by then.
     */
    Checkpoints checkpoints(List<RequestLine> run, Duration every, Long windowEnd) {
        return new Checkpoints(run, every, windowEnd);
    }

    final class Checkpoints implements ChunkRunner.Progress {

        private final ConcurrentLinkedQueue<Ended> pending = new ConcurrentLinkedQueue<>();
        private final long everyNanos;
        private final List<RequestLine> lines;
        private long lastNanos = System.nanoTime();
        /** The window's end in epoch seconds until the append made at it; null after, or for none. */
        private Long windowEnd;

        /** @param run the lines of the run told about, by their index in it */
        private Checkpoints(List<RequestLine> run, Duration every, Long windowEnd) {
            this.lines = run;
            this.everyNanos = every.toNanos();
            this.windowEnd = windowEnd;
        }

        @Override
        public void ended(int index, OutputLine output) {
            ended(index, output, null);
        }

        @Override
        public void ended(int index, OutputLine output, LineTrace trace) {
            pending.add(Ended.of(lines.get(index).position() - chunk.firstRequest(), output, trace));
        }

        @Override
        public void idle() {
            boolean windowEnded = windowEnd != null && clock.instant().getEpochSecond() >= windowEnd;
            if (windowEnded) {
                windowEnd = null;
            }
            if (windowEnded || System.nanoTime() - lastNanos >= everyNanos) {
                flush();
            }
        }

        /** Appends what has ended since the last append. */
        void flush() {
            List<Ended> ended = new ArrayList<>();
            for (Ended line; (line = pending.poll()) != null; ) {
                ended.add(line);
            }
            lastNanos = System.nanoTime();
            if (!ended.isEmpty()) {
                append(ended);
            }
        }
    }
}
