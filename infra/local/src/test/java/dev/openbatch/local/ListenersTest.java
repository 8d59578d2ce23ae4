package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the local runtime listens on: every server it starts — the API, the emulators (DynamoDB
 * Local included), the Step Functions endpoint, the regional S3 front, the reference endpoint —
 * binds to the host asked for and no other address; and a port already taken is said plainly.
 */
class ListenersTest {

    @Test
    void everyListener_bindsToTheHostAskedFor() throws IOException {
        Map<Long, InetSocketAddress> before = listenersOfThisProcess();
        try (LocalRuntime runtime = LocalRuntime.start(options(0))) {
            Map<Long, InetSocketAddress> opened = new HashMap<>(listenersOfThisProcess());
            opened.keySet().removeAll(before.keySet());

            // API, S3, DynamoDB, SQS, Step Functions, the regional S3 front, the reference endpoint
            assertThat(opened).hasSizeGreaterThanOrEqualTo(7);
            assertThat(opened.values())
                    .allSatisfy(address ->
                            assertThat(address.getAddress().getHostAddress()).isIn("127.0.0.1", "::ffff:127.0.0.1"));
            assertThat(opened.values().stream().map(InetSocketAddress::getPort).collect(Collectors.toSet()))
                    .contains(
                            runtime.apiBase().getPort(),
                            runtime.s3Endpoint().getPort(),
                            runtime.dynamoEndpoint().getPort(),
                            runtime.sqsEndpoint().getPort());
        }
    }

    @Test
    void aPortInUse_isNamedWithTheOptionThatMovesIt() throws IOException {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            assertThatThrownBy(() -> LocalRuntime.start(options(taken.getLocalPort())))
                    .isInstanceOf(PortInUseException.class)
                    .hasMessage("port " + taken.getLocalPort() + " on 127.0.0.1 (DynamoDB Local) is in use, probably by"
                            + " another bin/local: stop that one, or move this one with --dynamodb-port N");
        }
    }

    private static LocalRuntime.Options options(int dynamoPort) throws IOException {
        return LocalRuntimes.isolated("openbatch-listeners")
                .dynamoPort(dynamoPort)
                .jobConcurrency(4)
                .chunkLines(10)
                .mapConcurrency(2)
                .workers(2)
                .build();
    }

    /** The TCP sockets this JVM listens on, by inode, from Linux's socket tables. */
    private static Map<Long, InetSocketAddress> listenersOfThisProcess() throws IOException {
        Set<Long> ours;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            ours = fds.map(ListenersTest::socketInode)
                    .filter(inode -> inode >= 0)
                    .collect(Collectors.toSet());
        }
        Map<Long, InetSocketAddress> listeners = new HashMap<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> rows = Files.readAllLines(Path.of(table));
            for (String row : rows.subList(1, rows.size())) {
                String[] column = row.trim().split("\\s+");
                long inode = Long.parseLong(column[9]);
                if (column[3].equals("0A") && ours.contains(inode)) { // 0A: LISTEN
                    listeners.put(inode, address(column[1]));
                }
            }
        }
        return listeners;
    }

    private static long socketInode(Path fd) {
        try {
            String target = Files.readSymbolicLink(fd).toString();
            return target.startsWith("socket:[") ? Long.parseLong(target.substring(8, target.length() - 1)) : -1;
        } catch (IOException e) {
            return -1; // closed since it was listed
        }
    }

    /** {@code 0100007F:1F90}: the address as 32-bit words in the host's (little-endian) order, then the port. */
    private static InetSocketAddress address(String hex) throws IOException {
        String[] parts = hex.split(":");
        byte[] raw = HexFormat.of().parseHex(parts[0]);
        byte[] address = new byte[raw.length];
        for (int word = 0; word < raw.length; word += 4) {
            for (int i = 0; i < 4; i++) {
                address[word + i] = raw[word + 3 - i];
            }
        }
        return new InetSocketAddress(InetAddress.getByAddress(address), Integer.parseInt(parts[1], 16));
    }
}
