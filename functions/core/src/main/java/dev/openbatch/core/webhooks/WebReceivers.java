package dev.openbatch.core.webhooks;

import dev.openbatch.core.net.PublicUrls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * Delivers to a tenant's receiver, a URL the service does not trust: it must lead to the public
 * internet, checked by the same {@link PublicUrls} rule as users' image URLs, on every delivery (a
 * name may resolve elsewhere since the endpoint was created). Redirects are not followed — a 3xx is
 * an answer that is not a 2xx, so the delivery is retried — which leaves no second address to check.
 */
public final class WebReceivers implements Receivers {

    private static final int MAX_STATUS_LINE = 8192;

    private final PublicUrls urls;
    private final SSLContext tls;
    private final Duration timeout;

    /**
     * @param urls    which URLs may be reached
     * @param tls     the TLS context that checks receivers' certificates
     * @param timeout how long connecting, and then the receiver's answer, may each take
     */
    public WebReceivers(PublicUrls urls, SSLContext tls, Duration timeout) {
        this.urls = urls;
        this.tls = tls;
        this.timeout = timeout;
    }

    @Override
    public void check(String url) throws Unreachable {
        try {
            urls.checkedAddress(urls.target(PublicUrls.parse(url)).host());
        } catch (PublicUrls.Refused e) {
            throw new Unreachable(e.reason());
        }
    }

    @Override
    public int post(String url, Map<String, String> headers, byte[] body) throws Unreachable, InterruptedException {
        PublicUrls.Target target;
        InetAddress address;
        try {
            target = urls.target(PublicUrls.parse(url));
            address = urls.checkedAddress(target.host());
        } catch (PublicUrls.Refused e) {
            throw new Unreachable(e.reason());
        }
        int millis = (int) timeout.toMillis();
        try (Socket socket = PublicUrls.connect(target, address, tls, millis, millis)) {
            socket.setSoTimeout(millis);
            StringBuilder head = new StringBuilder()
                    .append("POST ")
                    .append(target.pathAndQuery())
                    .append(" HTTP/1.1\r\nHost: ")
                    .append(target.hostHeader())
                    .append("\r\nUser-Agent: openbatch-webhooks\r\nContent-Type: application/json\r\nContent-Length: ")
                    .append(body.length)
                    .append("\r\nConnection: close\r\n");
            headers.forEach((name, value) ->
                    head.append(name).append(": ").append(value).append("\r\n"));
            head.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            return status(socket.getInputStream());
        } catch (SocketTimeoutException e) {
            throw new Unreachable("the receiver did not answer in time");
        } catch (SSLException e) {
            throw new Unreachable("the TLS handshake with the receiver failed");
        } catch (IOException e) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            throw new Unreachable("the connection to the receiver failed");
        }
    }

    private static int status(InputStream in) throws IOException, Unreachable {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c == -1 || line.length() > MAX_STATUS_LINE) {
                throw new Unreachable("the receiver did not answer in HTTP/1.1");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        String[] parts = line.toString().split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new Unreachable("the receiver did not answer in HTTP/1.1");
        }
        try {
            return Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new Unreachable("the receiver did not answer in HTTP/1.1");
        }
    }
}
