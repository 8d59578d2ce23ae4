package dev.openbatch.local;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import dev.openbatch.reference.Options;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Local runtimes started in this JVM by one test class, each on its own data directory and ports, stopped together. */
final class LocalRuntimes implements AutoCloseable {

    private final List<LocalRuntime> started = new ArrayList<>();

    /** Options on a new data directory and free ports, the reference endpoint behaving as {@code reference}. */
    static LocalRuntime.Options options(
            Options reference, int jobConcurrency, int chunkLines, int workers, Duration window, int deliveries) {
        try {
            return new LocalRuntime.Options(
                    "127.0.0.1",
                    0,
                    0,
                    Emulators.freePort(),
                    0,
                    Files.createTempDirectory("openbatch-run"),
                    "us-east-1",
                    null,
                    reference,
                    jobConcurrency,
                    chunkLines,
                    4,
                    workers,
                    window,
                    deliveries,
                    LocalRuntime.Images.defaults(),
                    List.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    LocalRuntime start(LocalRuntime.Options options) {
        return start(options, LocalRuntime.Interceptors.NONE);
    }

    LocalRuntime start(LocalRuntime.Options options, LocalRuntime.Interceptors interceptors) {
        LocalRuntime runtime = LocalRuntime.start(options, interceptors);
        started.add(runtime);
        return runtime;
    }

    /** A runtime started otherwise, to be stopped with the others. */
    LocalRuntime adopt(LocalRuntime runtime) {
        started.add(runtime);
        return runtime;
    }

    /** The official SDK pointed at the runtime, retrying nothing itself so the service's behaviour shows. */
    static OpenAIClient client(LocalRuntime runtime) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(runtime.apiBase().toString())
                .apiKey("sk-local")
                .maxRetries(0)
                .build();
    }

    @Override
    public void close() {
        started.forEach(LocalRuntime::close);
    }
}
