package dev.openbatch.stepfunctions;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Executions kept in a directory, one JSON document each at {@code <state machine>/<execution>.json},
 * rewritten whole at every step. A document is written beside its file and moved over it, so a
 * process killed mid-write leaves the previous one; it survives the process, not the machine
 * losing power (nothing is synced), which is what a local runtime needs. A plain directory rather
 * than DynamoDB Local: the executor stands alone (its tests need no DynamoDB), and what it keeps
 * is one document per execution replaced as a whole, which a rename does atomically.
 */
final class ExecutionStore {

    private static final System.Logger LOG = System.getLogger(ExecutionStore.class.getName());
    private static final String SUFFIX = ".json";

    /** Keeps nothing: executions live as long as the process. */
    static final ExecutionStore NONE = new ExecutionStore(null);

    private final Path dir;

    private ExecutionStore(Path dir) {
        this.dir = dir;
    }

    static ExecutionStore in(Path dir) {
        try {
            return new ExecutionStore(Files.createDirectories(dir));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep executions in " + dir, e);
        }
    }

    /** Whether anything is kept, so that nothing is made up to be thrown away. */
    boolean keeps() {
        return dir != null;
    }

    /** Names are checked by {@link LocalStepFunctions} (no slash, no colon), so they are safe as file names. */
    void save(String stateMachine, String execution, JsonNode document) {
        if (!keeps()) {
            return;
        }
        try {
            Path folder = Files.createDirectories(dir.resolve(stateMachine));
            Path next = folder.resolve(execution + SUFFIX + ".next");
            // A FileOutputStream, not a channel: an interrupt must not cut a snapshot short.
            try (OutputStream out = new FileOutputStream(next.toFile())) {
                out.write(Json.write(document));
            }
            Files.move(
                    next,
                    folder.resolve(execution + SUFFIX),
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record execution " + execution + " of " + stateMachine, e);
        }
    }

    /** Every execution kept; one whose document cannot be read is left out, and said so. */
    List<JsonNode> load() {
        List<JsonNode> documents = new ArrayList<>();
        if (dir == null) {
            return documents;
        }
        try (Stream<Path> files = Files.walk(dir, 2)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX))
                    .sorted()
                    .toList()) {
                try {
                    documents.add(Json.MAPPER.readTree(file.toFile()));
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "execution record " + file + " cannot be read; left out", e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the executions in " + dir, e);
        }
        return documents;
    }
}
