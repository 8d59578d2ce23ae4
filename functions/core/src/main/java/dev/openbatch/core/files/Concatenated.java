package dev.openbatch.core.files;

import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Enumeration;
import java.util.NoSuchElementException;
import java.util.function.IntFunction;

/** Several streams read as one, in order. */
public final class Concatenated {

    private Concatenated() {}

    /**
     * Streams {@code open(0)}, then {@code open(1)}, ... {@code open(count - 1)}. Each is opened only
     * once the one before has been read to its end, so one stream is open at a time, however many.
     */
    public static InputStream of(int count, IntFunction<InputStream> open) {
        return new SequenceInputStream(new Enumeration<>() {
            private int next;

            @Override
            public boolean hasMoreElements() {
                return next < count;
            }

            @Override
            public InputStream nextElement() {
                if (!hasMoreElements()) {
                    throw new NoSuchElementException();
                }
                return open.apply(next++);
            }
        });
    }
}
