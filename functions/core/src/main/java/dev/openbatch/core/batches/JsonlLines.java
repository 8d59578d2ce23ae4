package dev.openbatch.core.batches;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * The lines of a JSONL stream, one at a time, each as the stream holds it without its line end
 * ({@code \n}, and a {@code \r} before it) and, on the first line, without a UTF-8 byte-order mark.
 * Scans a block at a time, as the validator does: a byte at a time through a stream costs seconds on
 * 200 MB. Holds one line and one block, never the stream.
 */
final class JsonlLines implements AutoCloseable {

    private static final int BLOCK_BYTES = 1 << 16;

    private final InputStream in;
    private final byte[] block = new byte[BLOCK_BYTES];
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private int start;
    private int end;
    private boolean first = true;
    private boolean done;

    JsonlLines(InputStream in) {
        this.in = in;
    }

    /** The next line, or null at the end of the stream. */
    byte[] next() {
        line.reset();
        while (!done) {
            for (int i = start; i < end; i++) {
                if (block[i] == '\n') {
                    line.write(block, start, i - start);
                    start = i + 1;
                    return take();
                }
            }
            line.write(block, start, end - start);
            start = 0;
            try {
                end = in.read(block);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (end == -1) {
                end = 0;
                done = true;
            }
        }
        return line.size() > 0 ? take() : null;
    }

    private byte[] take() {
        byte[] bytes = line.toByteArray();
        line.reset();
        int from = 0;
        if (first
                && bytes.length >= 3
                && (bytes[0] & 0xff) == 0xef
                && (bytes[1] & 0xff) == 0xbb
                && (bytes[2] & 0xff) == 0xbf) {
            from = 3;
        }
        first = false;
        int to = bytes.length > from && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return from == 0 && to == bytes.length ? bytes : Arrays.copyOfRange(bytes, from, to);
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
