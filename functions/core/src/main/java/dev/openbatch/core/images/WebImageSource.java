package dev.openbatch.core.images;

import dev.openbatch.core.net.PublicUrls;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * Fetches images by {@code https://} URL without letting a user's URL reach anything but the public
 * internet (server-side request forgery). The host name is resolved once, every address it resolves
 * to must be public, and the connection is made to the address that was checked — never resolved
 * again, so a name cannot answer differently the second time. Redirects are followed by hand, each
 * checked the same way. Plain HTTP/1.1 over a socket keeps all of that in view: the JDK's HTTP
 * clients resolve names themselves.
 */
public final class WebImageSource {

    /**
     * How the fetcher may reach the web.
     *
     * @param allowHttp      whether {@code http://} URLs are fetched too (local testing only)
     * @param trustedHosts   host names whose addresses are not checked: internal image servers, tests
     * @param tls            the TLS context that checks servers' certificates
     * @param connectTimeout how long connecting may take
     * @param totalTimeout   how long one image may take in all, redirects included
     * @param maxRedirects   how many redirects are followed
     */
    public record Options(
            boolean allowHttp,
            Set<String> trustedHosts,
            SSLContext tls,
            Duration connectTimeout,
            Duration totalTimeout,
            int maxRedirects) {

        public Options {
            trustedHosts =
                    trustedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        }

        /** https only, every host checked, the JDK's trusted certificate authorities. */
        public static Options defaults() {
            try {
                return new Options(
                        false, Set.of(), SSLContext.getDefault(), Duration.ofSeconds(5), Duration.ofSeconds(30), 3);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("this JVM has no default TLS context", e);
            }
        }

        public Options withAllowHttp(boolean allow) {
            return new Options(allow, trustedHosts, tls, connectTimeout, totalTimeout, maxRedirects);
        }

        public Options withTrustedHosts(Set<String> hosts) {
            return new Options(allowHttp, hosts, tls, connectTimeout, totalTimeout, maxRedirects);
        }

        public Options withTls(SSLContext context) {
            return new Options(allowHttp, trustedHosts, context, connectTimeout, totalTimeout, maxRedirects);
        }

        public Options withTotalTimeout(Duration timeout) {
            return new Options(allowHttp, trustedHosts, tls, connectTimeout, timeout, maxRedirects);
        }
    }

    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final int ATTEMPTS = 3;

    private final Options options;
    private final PublicUrls urls;

    public WebImageSource(Options options) {
        this.options = options;
        this.urls = new PublicUrls(options.allowHttp(), options.trustedHosts());
    }

    /** Whether this source fetches the URL's scheme at all. */
    public boolean handles(String url) {
        String lower = url.toLowerCase(Locale.ROOT);
        return lower.startsWith("https://") || lower.startsWith("http://");
    }

    /**
     * The body of a 200 answer to GET {@code url}, at most {@code maxBytes} long. A failure that may
     * pass (a 5xx, a dropped connection) is tried again while time remains.
     */
    public byte[] fetch(String url, long maxBytes) throws ImageUnavailable, InterruptedException {
        long deadline = System.nanoTime() + options.totalTimeout().toNanos();
        for (int attempt = 1; ; attempt++) {
            try {
                return fetchOnce(url, maxBytes, deadline);
            } catch (ImageUnavailable e) {
                long pause = 250L * attempt;
                if (!e.isTransient() || attempt == ATTEMPTS || remainingMillis(deadline) <= pause) {
                    throw e;
                }
                Thread.sleep(pause);
            }
        }
    }

    private byte[] fetchOnce(String url, long maxBytes, long deadline) throws ImageUnavailable, InterruptedException {
        URI current = parse(url);
        for (int redirects = 0; ; redirects++) {
            PublicUrls.Target target;
            InetAddress address;
            try {
                target = urls.target(current);
                address = urls.checkedAddress(target.host());
            } catch (PublicUrls.Refused e) {
                throw refused(e);
            }
            Answer answer = get(target, address, deadline, maxBytes);
            if (REDIRECTS.contains(answer.status())) {
                if (redirects == options.maxRedirects()) {
                    throw ImageUnavailable.because(
                            "the server redirected more than " + options.maxRedirects() + " times");
                }
                String location = answer.headers().get("location");
                if (location == null) {
                    throw ImageUnavailable.because(
                            "the server answered HTTP " + answer.status() + " without a Location");
                }
                current = current.resolve(parse(location));
                continue;
            }
            if (answer.status() != 200) {
                String reason = "the server answered HTTP " + answer.status();
                throw answer.status() >= 500 || answer.status() == 429
                        ? ImageUnavailable.transientFailure(reason)
                        : ImageUnavailable.because(reason);
            }
            return answer.body();
        }
    }

    private record Answer(int status, Map<String, String> headers, byte[] body) {}

    private static URI parse(String url) throws ImageUnavailable {
        try {
            return PublicUrls.parse(url);
        } catch (PublicUrls.Refused e) {
            throw refused(e);
        }
    }

    private static ImageUnavailable refused(PublicUrls.Refused refusal) {
        return refusal.unsupportedScheme()
                ? ImageUnavailable.unsupportedScheme()
                : ImageUnavailable.because(refusal.reason());
    }

    private Answer get(PublicUrls.Target target, InetAddress address, long deadline, long maxBytes)
            throws ImageUnavailable, InterruptedException {
        try (Socket socket = connect(target, address, deadline)) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + target.pathAndQuery() + " HTTP/1.1\r\n"
                            + "Host: " + target.hostHeader() + "\r\n"
                            + "User-Agent: openbatch\r\n"
                            + "Accept: image/*\r\n"
                            + "Accept-Encoding: identity\r\n"
                            + "Connection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(new DeadlineStream(socket, deadline));
            int status = status(readLine(in));
            Map<String, String> headers = headers(in);
            if (status != 200) {
                return new Answer(status, headers, new byte[0]);
            }
            return new Answer(status, headers, body(in, headers, maxBytes));
        } catch (SocketTimeoutException e) {
            throw ImageUnavailable.timeout();
        } catch (SSLException e) {
            throw ImageUnavailable.because("the TLS handshake with the server failed");
        } catch (ConnectException e) {
            throw ImageUnavailable.transientFailure("the connection to the server was refused");
        } catch (IOException e) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            throw ImageUnavailable.transientFailure("the connection to the server failed");
        }
    }

    private Socket connect(PublicUrls.Target target, InetAddress address, long deadline) throws IOException {
        return PublicUrls.connect(
                target,
                address,
                options.tls(),
                (int) Math.min(options.connectTimeout().toMillis(), remainingMillis(deadline)),
                (int) remainingMillis(deadline));
    }

    private static int status(String line) throws ImageUnavailable {
        String[] parts = line.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw ImageUnavailable.because("the server did not answer in HTTP/1.1");
        }
        try {
            return Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw ImageUnavailable.because("the server did not answer in HTTP/1.1");
        }
    }

    private static Map<String, String> headers(InputStream in) throws IOException, ImageUnavailable {
        Map<String, String> headers = new HashMap<>();
        int total = 0;
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            total += line.length();
            if (total > MAX_HEADER_BYTES) {
                throw ImageUnavailable.because("the server's headers are too large");
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.put(
                        line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        line.substring(colon + 1).trim());
            }
        }
        return headers;
    }

    private static byte[] body(InputStream in, Map<String, String> headers, long maxBytes)
            throws IOException, ImageUnavailable {
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            return chunked(in, maxBytes);
        }
        String length = headers.get("content-length");
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length);
            } catch (NumberFormatException e) {
                throw ImageUnavailable.because("the server sent an invalid Content-Length");
            }
            if (declared > maxBytes) {
                throw ImageUnavailable.tooLarge(maxBytes);
            }
            byte[] body = in.readNBytes((int) declared);
            if (body.length < declared) {
                throw ImageUnavailable.transientFailure(
                        "the server closed the connection before the image was complete");
            }
            return body;
        }
        return ImageUnavailable.readAtMost(in, maxBytes);
    }

    private static byte[] chunked(InputStream in, long maxBytes) throws IOException, ImageUnavailable {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            int extension = sizeLine.indexOf(';');
            long size;
            try {
                size = Long.parseLong((extension < 0 ? sizeLine : sizeLine.substring(0, extension)).trim(), 16);
            } catch (NumberFormatException e) {
                throw ImageUnavailable.because("the server sent a malformed chunked body");
            }
            if (size == 0) {
                return body.toByteArray();
            }
            if (body.size() + size > maxBytes) {
                throw ImageUnavailable.tooLarge(maxBytes);
            }
            byte[] chunk = in.readNBytes((int) size);
            if (chunk.length < size) {
                throw ImageUnavailable.transientFailure(
                        "the server closed the connection before the image was complete");
            }
            body.writeBytes(chunk);
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException, ImageUnavailable {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c == -1) {
                throw ImageUnavailable.transientFailure("the server closed the connection before answering");
            }
            if (line.length() > 8192) {
                throw ImageUnavailable.because("the server's answer has a line that is too long");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    private static long remainingMillis(long deadline) {
        return Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
    }

    /** Reads from the socket, timing out at the fetch's deadline rather than per read. */
    private static final class DeadlineStream extends InputStream {
        private final Socket socket;
        private final InputStream in;
        private final long deadline;

        DeadlineStream(Socket socket, long deadline) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.deadline = deadline;
        }

        @Override
        public int read() throws IOException {
            arm();
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            arm();
            return in.read(b, off, len);
        }

        private void arm() throws IOException {
            long remaining = remainingMillis(deadline);
            if (remaining <= 0) {
                throw new SocketTimeoutException("deadline passed");
            }
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, remaining));
        }
    }
}
