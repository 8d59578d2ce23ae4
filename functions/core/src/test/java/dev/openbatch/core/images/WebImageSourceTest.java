package dev.openbatch.core.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.openbatch.core.fakes.ConnectionCounter;
import dev.openbatch.core.fakes.ImageServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The SSRF suite: every URL that could reach the service's own network is refused before a connection is made. */
class WebImageSourceTest {

    private static final ConnectionCounter listener = new ConnectionCounter();
    private static final ImageServer server = new ImageServer();
    private static final byte[] PNG = TestImages.png(5, 5);

    private static final WebImageSource checked =
            new WebImageSource(WebImageSource.Options.defaults().withTls(ImageServer.clientTls()));
    private static final WebImageSource trustingLocalhost = new WebImageSource(
            WebImageSource.Options.defaults().withTls(ImageServer.clientTls()).withTrustedHosts(Set.of("localhost")));

    @AfterAll
    static void stop() {
        listener.close();
        server.close();
    }

    private static ImageUnavailable refusal(WebImageSource source, String url) {
        ImageUnavailable e = catchThrowableOfType(ImageUnavailable.class, () -> source.fetch(url, 1 << 20));
        assertThat(e).as("refused: " + url).isNotNull();
        return e;
    }

    static Stream<Arguments> forbidden() {
        int port = listener.port();
        String notPublic = "the host is not on the public internet";
        String nonStandard = "the host is an IP address in a non-standard form";
        return Stream.of(
                Arguments.of("https://127.0.0.1:" + port + "/x.png", notPublic),
                Arguments.of("https://localhost:" + port + "/x.png", notPublic),
                Arguments.of("https://[::1]:" + port + "/x.png", notPublic),
                Arguments.of("https://[::ffff:127.0.0.1]:" + port + "/x.png", notPublic),
                Arguments.of("https://169.254.169.254/latest/meta-data/", notPublic),
                Arguments.of("https://10.0.0.1/x.png", notPublic),
                Arguments.of("https://172.16.0.1/x.png", notPublic),
                Arguments.of("https://192.168.1.1/x.png", notPublic),
                Arguments.of("https://100.64.0.1/x.png", notPublic),
                Arguments.of("https://0.0.0.0:" + port + "/x.png", notPublic),
                Arguments.of("https://0x7f000001:" + port + "/x.png", nonStandard),
                Arguments.of("https://2130706433:" + port + "/x.png", nonStandard),
                Arguments.of("https://017700000001:" + port + "/x.png", nonStandard),
                Arguments.of("https://127.1:" + port + "/x.png", "the URL has no valid host name"),
                Arguments.of("file:///etc/passwd", "only s3://, https:// and data: image URLs are supported"),
                Arguments.of(
                        "gopher://127.0.0.1:" + port + "/_x",
                        "only s3://, https:// and data: image URLs are supported"),
                Arguments.of(
                        "ftp://127.0.0.1:" + port + "/x.png",
                        "only s3://, https:// and data: image URLs are supported"),
                Arguments.of(
                        "http://localhost:" + port + "/x.png", "plain http:// URLs are not fetched, only https://"),
                Arguments.of(
                        "https://user:pass@localhost:" + port + "/x.png",
                        "URLs with a user name or password are not fetched"));
    }

    @ParameterizedTest
    @MethodSource("forbidden")
    void aUrlThatCouldReachTheServicesNetwork_isRefused_withoutAConnection(String url, String reason) {
        int before = listener.connections();
        assertThat(refusal(checked, url).reason()).isEqualTo(reason);
        assertThat(listener.connections()).as("connections made for " + url).isEqualTo(before);
    }

    @Test
    void anAllowedHostThatRedirectsToAPrivateAddress_isRefusedAtTheRedirect() {
        server.redirect("/hop.png", "https://127.0.0.1:" + listener.port() + "/x.png");
        int before = listener.connections();

        assertThat(refusal(trustingLocalhost, server.url("/hop.png")).reason())
                .isEqualTo("the host is not on the public internet");
        assertThat(server.requests("/hop.png")).isEqualTo(1);
        assertThat(listener.connections()).isEqualTo(before);
    }

    @Test
    void aTrustedHost_isFetched_followingRedirectsByHand() throws Exception {
        server.serve("/final.png", PNG)
                .redirect("/first.png", "/second.png")
                .redirect("/second.png", server.url("/final.png"));

        assertThat(trustingLocalhost.fetch(server.url("/first.png"), 1 << 20)).isEqualTo(PNG);
    }

    @Test
    void tooManyRedirects_tooLargeBodies_andMissingPages_fail() {
        server.redirect("/loop.png", "/loop.png")
                .serve("/big.png", new byte[5000])
                .status("/none.png", 404);

        assertThat(refusal(trustingLocalhost, server.url("/loop.png")).reason())
                .isEqualTo("the server redirected more than 3 times");
        assertThat(catchThrowableOfType(
                                ImageUnavailable.class, () -> trustingLocalhost.fetch(server.url("/big.png"), 4096))
                        .reason())
                .isEqualTo("the image is larger than 4 KiB");
        assertThat(refusal(trustingLocalhost, server.url("/none.png")).reason())
                .isEqualTo("the server answered HTTP 404");
    }

    @Test
    void aCertificateThatDoesNotNameTheHost_isRefused() {
        WebImageSource trustingAnyLoopback = new WebImageSource(WebImageSource.Options.defaults()
                .withTls(ImageServer.clientTls())
                .withTrustedHosts(Set.of("localhost.localdomain", "127.0.0.2")));
        server.serve("/ok.png", PNG);
        // 127.0.0.2 reaches the same server, but its certificate names localhost, 127.0.0.1 and ::1 only.
        assertThat(refusal(trustingAnyLoopback, "https://127.0.0.2:" + server.port() + "/ok.png")
                        .reason())
                .isIn("the TLS handshake with the server failed", "the connection to the server was refused");
    }

    @Test
    void aServerThatNeverAnswers_timesOut() throws Exception {
        List<Socket> held = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket()) {
            silent.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (IOException e) {
                    // closed
                }
            });
            WebImageSource impatient = new WebImageSource(WebImageSource.Options.defaults()
                    .withAllowHttp(true)
                    .withTrustedHosts(Set.of("localhost"))
                    .withTotalTimeout(Duration.ofMillis(500)));

            ImageUnavailable e = refusal(impatient, "http://localhost:" + silent.getLocalPort() + "/slow.png");
            assertThat(e.kind()).isEqualTo(ImageUnavailable.Kind.TIMEOUT);
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }
}
