package dev.openbatch.local;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The local runtime started as bin/local starts it: its own JVM, the same main class and flags,
 * ready once {@code GET /health} answers 200.
 */
final class LocalProcess implements AutoCloseable {

    private static final Duration STARTUP = Duration.ofSeconds(90);

    private final Process process;
    private final Path log;
    final int port;
    final int s3Port;

    private LocalProcess(Process process, Path log, int port, int s3Port) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.s3Port = s3Port;
    }

    static LocalProcess start(Path dataDir) {
        return start(dataDir, new String[0]);
    }

    /** With more of bin/local's options, e.g. {@code --endpoint URL}. */
    static LocalProcess start(Path dataDir, String... options) {
        int port = Emulators.freePort();
        int s3Port = Emulators.freePort();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-Dsqlite4java.library.path=" + System.getProperty("sqlite4java.library.path"),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "--port",
                Integer.toString(port),
                "--s3-port",
                Integer.toString(s3Port),
                "--dynamodb-port",
                Integer.toString(Emulators.freePort()),
                "--sqs-port",
                Integer.toString(Emulators.freePort()),
                "--data-dir",
                dataDir.toString()));
        command.addAll(List.of(options));
        try {
            Path log = Files.createTempFile("openbatch-local", ".log");
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            LocalProcess local = new LocalProcess(process, log, port, s3Port);
            local.awaitHealthy();
            return local;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    /** The official OpenAI Java SDK, pointed at this runtime; no retries, so every failure shows. */
    OpenAIClient client() {
        return OpenAIOkHttpClient.builder()
                .baseUrl(baseUrl())
                .apiKey("sk-local")
                .maxRetries(0)
                .build();
    }

    String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    private void awaitHealthy() {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                .timeout(Duration.ofSeconds(2))
                .build();
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "the local runtime exited with " + process.exitValue() + ":\n" + output());
            }
            try {
                if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        close();
        throw new IllegalStateException("the local runtime was not healthy within " + STARTUP + ":\n" + output());
    }

    /** Kills it as a crash would: SIGKILL, no shutdown hook, nothing flushed or closed. */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops it as Ctrl-C does: SIGTERM, which runs the shutdown hook. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
