package dev.openbatch.local.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A function as Lambda runs it, in this JVM: each concurrent invocation in a sandbox of its own,
 * whose handler the factory built for it alone (its own {@code Wiring}, clients and memory), at
 * most {@code maxConcurrency} sandboxes at once; a sandbox runs one invocation at a time and is
 * reused by later ones. Each invocation's {@link Context} counts down from the function's timeout;
 * an invocation still running then is abandoned as Lambda abandons it: the caller gets
 * {@link FunctionError#TIMED_OUT}, the invocation's thread is interrupted, its result is ignored,
 * and its sandbox is discarded, so that the AWS calls it still makes are refused
 * ({@link SandboxGuard}).
 *
 * @param <H> the handler type, as the caller invokes it
 */
public final class LocalLambda<H> implements AutoCloseable {

    /**
     * A synchronous invocation's request and response, at most: the 6 MB of Lambda's quotas, which
     * Lambda's own errors spell as 6,291,556 bytes ("Request must be smaller than 6291556 bytes").
     */
    public static final int MAX_SYNC_PAYLOAD_BYTES = 6_291_556;
    /** An asynchronous invocation's event (the S3 watcher's, as EventBridge's), at most: 256 KB. */
    public static final int MAX_ASYNC_PAYLOAD_BYTES = 256 * 1024;
    /** The account's default concurrency, for functions that have no maximum of their own. */
    public static final int ACCOUNT_CONCURRENCY = 1000;

    private record Busy(Sandbox sandbox, Thread thread) {}

    private final String name;
    private final Duration timeout;
    private final int maxConcurrency;
    private final Function<Sandbox, H> factory;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private final Deque<Sandboxed<H>> idle = new ArrayDeque<>();
    private final Set<Busy> busy = new HashSet<>();
    private int sandboxes;
    private int created;
    private boolean closed;

    private record Sandboxed<H>(Sandbox sandbox, H handler) {}

    /**
     * @param name           the function's name, as its context reports it
     * @param timeout        the function's timeout as deployed
     * @param maxConcurrency the most sandboxes at once; an invocation beyond waits for one to be free
     * @param factory        builds a new handler for a new sandbox: its init, run inside that sandbox
     */
    public LocalLambda(String name, Duration timeout, int maxConcurrency, Function<Sandbox, H> factory) {
        if (timeout.isNegative() || timeout.isZero() || maxConcurrency < 1) {
            throw new IllegalArgumentException(
                    name + ": a timeout above 0 and at least one sandbox, not " + timeout + " and " + maxConcurrency);
        }
        this.name = name;
        this.timeout = timeout;
        this.maxConcurrency = maxConcurrency;
        this.factory = factory;
    }

    public String name() {
        return name;
    }

    public Duration timeout() {
        return timeout;
    }

    public int maxConcurrency() {
        return maxConcurrency;
    }

    /** How many sandboxes this function has built so far, discarded ones included. */
    public int sandboxesCreated() {
        lock.lock();
        try {
            return created;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs one invocation in a free sandbox, building one when none is free and fewer than the
     * maximum exist, waiting for one otherwise. Answers the handler's result, or throws what the
     * handler threw, or {@link FunctionError} ({@link FunctionError#TIMED_OUT}) when it ran out of time.
     */
    public <R> R invoke(BiFunction<H, Context, R> call) {
        Sandboxed<H> sandboxed = acquire();
        Sandbox sandbox = sandboxed.sandbox();
        String requestId = UUID.randomUUID().toString();
        SandboxContext context = new SandboxContext(name, requestId, System.nanoTime() + timeout.toNanos());
        sandbox.context(context);
        CompletableFuture<R> result = new CompletableFuture<>();
        Thread thread = Thread.ofVirtual().name(sandbox + " " + requestId).unstarted(() -> {
            Sandbox.enter(sandbox);
            try {
                result.complete(call.apply(sandboxed.handler(), context));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            } finally {
                Sandbox.leave();
            }
        });
        Busy running = new Busy(sandbox, thread);
        lock.lock();
        try {
            busy.add(running);
        } finally {
            lock.unlock();
        }
        // The sandbox is settled before the caller hears the outcome, so a later invocation finds it free.
        CompletableFuture<R> settled = result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((value, error) -> settle(sandboxed, running, error instanceof TimeoutException));
        thread.start();
        try {
            return settled.get();
        } catch (ExecutionException e) {
            Throwable cause =
                    e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
            if (cause instanceof TimeoutException) {
                throw FunctionError.timedOut(requestId, timeout.toMillis());
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            // The caller stopped waiting; the invocation goes on in its sandbox until it ends or times out.
            Thread.currentThread().interrupt();
            throw new CancellationException(name + ": the caller stopped waiting for invocation " + requestId);
        }
    }

    /**
     * A handler of JSON bytes in and out ({@code lambda:invoke}'s and an asynchronous event's), as
     * Lambda runs one: its request refused over {@code maxRequestBytes}, its answer failed over
     * {@link #MAX_SYNC_PAYLOAD_BYTES}, each with Lambda's error; run with the context of the
     * invocation its sandbox runs.
     */
    public static Function<JsonNode, JsonNode> json(
            RequestStreamHandler handler, Sandbox sandbox, int maxRequestBytes) {
        return payload -> {
            byte[] request = Json.write(payload);
            if (request.length > maxRequestBytes) {
                throw FunctionError.requestTooLarge(maxRequestBytes);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                handler.handleRequest(new ByteArrayInputStream(request), out, sandbox.context());
                if (out.size() > MAX_SYNC_PAYLOAD_BYTES) {
                    throw FunctionError.responseTooLarge(MAX_SYNC_PAYLOAD_BYTES);
                }
                return Json.MAPPER.readTree(out.toByteArray());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    private Sandboxed<H> acquire() {
        Sandbox sandbox;
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    throw new IllegalStateException(name + " is shut down");
                }
                Sandboxed<H> free = idle.pollFirst();
                if (free != null) {
                    return free;
                }
                if (sandboxes < maxConcurrency) {
                    sandboxes++;
                    sandbox = new Sandbox(name, ++created);
                    break;
                }
                released.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        try {
            return new Sandboxed<>(sandbox, init(sandbox));
        } catch (RuntimeException | Error e) {
            lock.lock();
            try {
                sandboxes--;
                released.signalAll();
            } finally {
                lock.unlock();
            }
            throw e;
        }
    }

    /** The handler is built inside its sandbox, so the threads and clients it makes belong to it. */
    private H init(Sandbox sandbox) {
        Sandbox outer = Sandbox.current();
        Sandbox.enter(sandbox);
        try {
            return factory.apply(sandbox);
        } finally {
            if (outer == null) {
                Sandbox.leave();
            } else {
                Sandbox.enter(outer);
            }
        }
    }

    private void settle(Sandboxed<H> sandboxed, Busy running, boolean timedOut) {
        lock.lock();
        try {
            busy.remove(running);
            if (timedOut || closed) {
                sandboxed.sandbox().discard();
                running.thread().interrupt();
                sandboxes--;
            } else {
                // The warmest first, as Lambda tends to reuse the environment that ran last.
                idle.addFirst(sandboxed);
            }
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Discards every sandbox, interrupting the invocations still running: what a stopped process does to them. */
    @Override
    public void close() {
        List<Busy> running;
        lock.lock();
        try {
            closed = true;
            idle.forEach(s -> s.sandbox().discard());
            sandboxes -= idle.size();
            idle.clear();
            running = List.copyOf(busy);
            released.signalAll();
        } finally {
            lock.unlock();
        }
        for (Busy invocation : running) {
            invocation.sandbox().discard();
            invocation.thread().interrupt();
        }
    }
}
