package dev.openbatch.core.fakes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A listener on every local address of one port that counts the connections made to it: the proof
 * that a URL which should be refused never reached the network.
 */
public final class ConnectionCounter implements AutoCloseable {

    private final ServerSocket socket;
    private final AtomicInteger connections = new AtomicInteger();

    public ConnectionCounter() {
        try {
            socket = new ServerSocket();
            socket.bind(new InetSocketAddress(0)); // the wildcard: 127.0.0.1, ::1, 0.0.0.0 all land here
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofVirtual().start(() -> {
            while (!socket.isClosed()) {
                try {
                    // counted, then closed unanswered: the connection having been made is the finding
                    Socket accepted = socket.accept();
                    connections.incrementAndGet();
                    accepted.close();
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    public int port() {
        return socket.getLocalPort();
    }

    public int connections() {
        return connections.get();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
