package dev.openbatch.core.fakes;

import dev.openbatch.core.pipeline.InputValidator;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The largest input file a batch accepts: OpenAI's 50,000 chat requests, padded to 200 MB in all,
 * just under the limit. The local runtime's large-file tests and the benchmark both use it.
 */
public final class LargestInput {

    public static final int LINES = InputValidator.Limits.OPENAI.maxRequests();
    public static final long BYTES = InputValidator.Limits.OPENAI.maxBytes();

    private LargestInput() {}

    public static void write(Path file) throws IOException {
        long perLine = BYTES / LINES - 1;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            for (int i = 0; i < LINES; i++) {
                String head =
                        "{\"custom_id\":\"request-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                                + "\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"";
                String tail = "\"}]}}";
                out.write(head.getBytes(StandardCharsets.US_ASCII));
                out.write("x"
                        .repeat((int) (perLine - head.length() - tail.length()))
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(tail.getBytes(StandardCharsets.US_ASCII));
                out.write('\n');
            }
        }
    }
}
