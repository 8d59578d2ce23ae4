package dev.openbatch.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Counts every AWS API call the functions make, by service and operation, for the benchmark's cost
 * figures. Loaded only when the benchmark puts it on the runtime's class path as an SDK global
 * interceptor; {@link #dump} writes the counts to the file named by {@code openbatch.count.file}.
 */
public final class OperationCounter implements ExecutionInterceptor {

    private static final Map<String, AtomicLong> COUNTS = new ConcurrentHashMap<>();

    static {
        String file = System.getProperty("openbatch.count.file");
        if (file != null) {
            Thread.ofPlatform().daemon().start(() -> {
                while (true) {
                    try {
                        Thread.sleep(500);
                        dump(Path.of(file));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        String operation = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME) + " "
                + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        COUNTS.computeIfAbsent(operation, o -> new AtomicLong()).incrementAndGet();
    }

    /** Lines of {@code Service Operation count}. */
    static void dump(Path file) {
        StringBuilder text = new StringBuilder();
        new TreeMap<>(COUNTS)
                .forEach((operation, count) ->
                        text.append(operation).append(' ').append(count).append('\n'));
        try {
            Path temp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(temp, text);
            Files.move(
                    temp,
                    file,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
