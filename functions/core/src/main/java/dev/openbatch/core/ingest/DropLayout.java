package dev.openbatch.core.ingest;

import java.util.Locale;
import java.util.Optional;

/**
 * Where drops go and where their results come back, in the ingest bucket: a file put at
 * {@code incoming/<job_id>/<name>.jsonl} runs on that job, and its results are written to
 * {@code results/<job_id>/<name>/} ({@code output.jsonl}, {@code errors.jsonl}, {@code batch.json}; while the
 * batch runs, {@code partial/}).
 * {@code <name>} may contain slashes. Any other key's results, a refusal, go to {@code results/} plus
 * the key without {@code incoming/} and without {@code .jsonl}.
 */
public final class DropLayout {

    public static final String INCOMING = "incoming/";
    public static final String RESULTS = "results/";
    public static final String OUTPUT = "output.jsonl";
    public static final String ERRORS = "errors.jsonl";
    public static final String BATCH = "batch.json";
    /**
     * The folder, in a drop's results folder, of the lines ended so far while its batch runs: one
     * {@code output-<chunk>.jsonl} and {@code errors-<chunk>.jsonl} per chunk whose part is whole,
     * removed when the final files are written.
     */
    public static final String PARTIAL = "partial/";

    private static final String JSONL = ".jsonl";

    private DropLayout() {}

    /** The folder, ending in a slash, where the results of the drop at {@code key} are written. */
    public static String resultsPrefix(String key) {
        String relative = key.startsWith(INCOMING) ? key.substring(INCOMING.length()) : key;
        String stem = relative.endsWith(JSONL) ? relative.substring(0, relative.length() - JSONL.length()) : relative;
        if (stem.isEmpty() || stem.endsWith("/")) {
            stem = relative;
        }
        return RESULTS + stem + "/";
    }

    /** Where one side of a chunk's part goes while the batch runs, in its results folder {@code results}. */
    public static String partialKey(String results, int chunk, boolean output) {
        return results + PARTIAL + String.format(Locale.ROOT, "%s-%05d.jsonl", output ? "output" : "errors", chunk);
    }

    /** The job a key names, if it has the shape {@code incoming/<job_id>/<name>}. */
    public static Optional<String> jobId(String key) {
        if (!key.startsWith(INCOMING)) {
            return Optional.empty();
        }
        int slash = key.indexOf('/', INCOMING.length());
        if (slash <= INCOMING.length() || slash == key.length() - 1) {
            return Optional.empty();
        }
        return Optional.of(key.substring(INCOMING.length(), slash));
    }

    /** The file name a drop's input file gets: the last segment of its key. */
    public static String filename(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }
}
