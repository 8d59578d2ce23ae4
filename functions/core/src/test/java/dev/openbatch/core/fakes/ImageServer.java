package dev.openbatch.core.fakes;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * An HTTPS server of images on {@code localhost}, with a self-signed certificate for localhost,
 * 127.0.0.1 and ::1 ({@code tls/localhost.pem}); it answers what a test tells it per path — bytes,
 * a redirect, a status — and counts what it was asked.
 */
public final class ImageServer implements AutoCloseable {

    private record Answer(int status, byte[] body, String location) {}

    private final HttpsServer server;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();

    public ImageServer() {
        try {
            server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setHttpsConfigurator(new HttpsConfigurator(serverTls()));
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
                Answer answer = answers.getOrDefault(path, new Answer(404, new byte[0], null));
                if (answer.location() != null) {
                    exchange.getResponseHeaders().add("Location", answer.location());
                }
                exchange.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
                if (answer.body().length > 0) {
                    exchange.getResponseBody().write(answer.body());
                }
            }
        });
        server.start();
    }

    public ImageServer serve(String path, byte[] body) {
        answers.put(path, new Answer(200, body, null));
        return this;
    }

    public ImageServer redirect(String path, String location) {
        answers.put(path, new Answer(302, new byte[0], location));
        return this;
    }

    public ImageServer status(String path, int status) {
        answers.put(path, new Answer(status, new byte[0], null));
        return this;
    }

    /** {@code https://localhost:<port><path>} */
    public String url(String path) {
        return "https://localhost:" + server.getAddress().getPort() + path;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public int requests(String path) {
        AtomicInteger count = requests.get(path);
        return count == null ? 0 : count.get();
    }

    /** A client context that trusts the server's certificate (and nothing else). */
    public static SSLContext clientTls() {
        try {
            KeyStore store = keyStore();
            javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The server's certificate as a PEM file, for configuration that takes one. */
    public static Path certificatePem() {
        try (InputStream in = ImageServer.class.getResourceAsStream("/tls/localhost.pem")) {
            Path pem = Files.createTempFile("localhost", ".pem");
            Files.write(pem, in.readAllBytes());
            return pem;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SSLContext serverTls() {
        try {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(keyStore(), "openbatch".toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyStore keyStore() {
        try (InputStream in = ImageServer.class.getResourceAsStream("/tls/localhost.p12")) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, "openbatch".toCharArray());
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
