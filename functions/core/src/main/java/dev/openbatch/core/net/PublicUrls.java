package dev.openbatch.core.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The service's rule for a URL a user gives it to reach (an image, a webhook receiver): it may lead to
 * the public internet only (server-side request forgery). The host name is resolved once, every
 * address it resolves to must be public, and the connection is made to the address that was checked —
 * never resolved again, so a name cannot answer differently the second time. The JDK's HTTP clients
 * resolve names themselves, which is why callers speak HTTP/1.1 over the socket this gives them.
 *
 * @param allowHttp    whether {@code http://} URLs are allowed too (local testing only)
 * @param trustedHosts host names whose addresses are not checked: internal servers, tests
 */
public record PublicUrls(boolean allowHttp, Set<String> trustedHosts) {

    /** https only, every host checked. */
    public static final PublicUrls STRICT = new PublicUrls(false, Set.of());

    /** Labels of digits or {@code 0x} hex only: an IPv4 address, perhaps in one of its ambiguous forms. */
    private static final Pattern NUMERIC_HOST = Pattern.compile("(0x[0-9a-f]*|[0-9]+)(\\.(0x[0-9a-f]*|[0-9]+))*\\.?");
    /** The one IPv4 form accepted: four decimal octets without leading zeros. */
    private static final Pattern DOTTED_QUAD = Pattern.compile(
            "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");

    public PublicUrls {
        trustedHosts =
                trustedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** Why a URL may not be reached; {@link #unsupportedScheme()} when it is not a web URL at all. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        private final boolean unsupportedScheme;

        Refused(String reason, boolean unsupportedScheme) {
            super(reason, null, false, false);
            this.unsupportedScheme = unsupportedScheme;
        }

        public String reason() {
            return getMessage();
        }

        public boolean unsupportedScheme() {
            return unsupportedScheme;
        }
    }

    /**
     * Where a URL leads, its form checked.
     *
     * @param tls          whether it is https
     * @param host         the host, lower case
     * @param port         the port, the scheme's default if none is given
     * @param pathAndQuery what goes on the request line
     * @param hostHeader   what goes in the {@code Host} header
     */
    public record Target(boolean tls, String host, int port, String pathAndQuery, String hostHeader) {}

    public static URI parse(String url) throws Refused {
        try {
            return new URI(url);
        } catch (URISyntaxException e) {
            throw new Refused("the URL is not valid", false);
        }
    }

    /** The URL's target: https (or http where allowed), no user name or password, a host in a standard form. */
    public Target target(URI uri) throws Refused {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        boolean tls = scheme.equals("https");
        if (!tls && !(scheme.equals("http") && allowHttp)) {
            throw scheme.equals("http")
                    ? new Refused("plain http:// URLs are not fetched, only https://", false)
                    : new Refused("the URL's scheme is not https", true);
        }
        if (uri.getRawUserInfo() != null) {
            throw new Refused("URLs with a user name or password are not fetched", false);
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new Refused("the URL has no valid host name", false);
        }
        host = host.toLowerCase(Locale.ROOT);
        if (NUMERIC_HOST.matcher(host).matches() && !DOTTED_QUAD.matcher(host).matches()) {
            throw new Refused("the host is an IP address in a non-standard form", false);
        }
        int port = uri.getPort() == -1 ? (tls ? 443 : 80) : uri.getPort();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        String hostHeader = uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + port;
        return new Target(tls, host, port, path + query, hostHeader);
    }

    /** The address to connect to: every address of the name must be public, unless the host is trusted. */
    public InetAddress checkedAddress(String host) throws Refused {
        String name = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(name);
        } catch (UnknownHostException e) {
            throw new Refused("the host name could not be resolved", false);
        }
        if (!trustedHosts.contains(host)) {
            for (InetAddress address : addresses) {
                if (!PublicAddresses.isPublic(address)) {
                    throw new Refused("the host is not on the public internet", false);
                }
            }
        }
        return addresses[0];
    }

    /**
     * A connection to the checked address, TLS for https with the certificate checked against the URL's
     * host (not the address the socket went to).
     */
    public static Socket connect(
            Target target, InetAddress address, SSLContext tls, int connectMillis, int handshakeMillis)
            throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(address, target.port()), Math.max(1, connectMillis));
            if (!target.tls()) {
                return socket;
            }
            SSLSocket secured =
                    (SSLSocket) tls.getSocketFactory().createSocket(socket, target.host(), target.port(), true);
            SSLParameters parameters = secured.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            if (!NUMERIC_HOST.matcher(target.host()).matches() && !target.host().startsWith("[")) {
                parameters.setServerNames(List.of(new SNIHostName(target.host())));
            }
            secured.setSSLParameters(parameters);
            secured.setSoTimeout(Math.max(1, handshakeMillis));
            secured.startHandshake();
            return secured;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }
}
