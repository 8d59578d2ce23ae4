package dev.openbatch.local.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A function run as Lambda runs it: sandboxes, their reuse, the countdown, the timeout, the payload limits. */
class LocalLambdaTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    /** What a sandbox keeps in memory between its invocations. */
    private static final class Memory {
        final AtomicInteger invocations = new AtomicInteger();
        final AtomicBoolean busy = new AtomicBoolean();
        final Sandbox sandbox;

        Memory(Sandbox sandbox) {
            this.sandbox = sandbox;
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                    .as("latch within " + DEADLINE)
                    .isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void context_countsDownFromTheFunctionsTimeout_anewForEachInvocation() {
        try (LocalLambda<Object> function =
                new LocalLambda<>("f", Duration.ofSeconds(10), 1, sandbox -> new Object())) {
            List<Integer> seen = function.invoke((handler, context) -> {
                int first = context.getRemainingTimeInMillis();
                long deadline = System.nanoTime() + DEADLINE.toNanos();
                while (context.getRemainingTimeInMillis() > first - 300 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                return List.of(first, context.getRemainingTimeInMillis());
            });
            int next = function.invoke((handler, context) -> context.getRemainingTimeInMillis());

            assertThat(seen.get(0)).isBetween(9_000, 10_000);
            assertThat(seen.get(1))
                    .as("time passes in the invocation")
                    .isBetween(seen.get(0) - 1_000, seen.get(0) - 300);
            assertThat(next)
                    .as("the next invocation has the whole timeout again")
                    .isGreaterThan(seen.get(1));
            assertThat(function.sandboxesCreated()).as("one sandbox, reused").isEqualTo(1);
        }
    }

    @Test
    void twoConcurrentInvocations_runInTwoSandboxes_thatShareNoState_andALaterOneReusesAFreeSandbox() {
        AtomicInteger built = new AtomicInteger();
        try (LocalLambda<Memory> function = new LocalLambda<>("f", Duration.ofSeconds(30), 4, sandbox -> {
            built.incrementAndGet();
            return new Memory(sandbox);
        })) {
            CountDownLatch bothRunning = new CountDownLatch(2);
            Function<Memory, Memory> call = memory -> {
                memory.invocations.incrementAndGet();
                bothRunning.countDown();
                await(bothRunning);
                return memory;
            };
            CompletableFuture<Memory> first =
                    CompletableFuture.supplyAsync(() -> function.invoke((m, c) -> call.apply(m)));
            CompletableFuture<Memory> second =
                    CompletableFuture.supplyAsync(() -> function.invoke((m, c) -> call.apply(m)));

            Memory a = first.join();
            Memory b = second.join();
            assertThat(a).as("a handler of its own in each sandbox").isNotSameAs(b);
            assertThat(a.sandbox).isNotSameAs(b.sandbox);
            assertThat(a.invocations).hasValue(1);
            assertThat(b.invocations).hasValue(1);
            assertThat(built).hasValue(2);

            Memory later = function.invoke((memory, context) -> {
                memory.invocations.incrementAndGet();
                return memory;
            });
            assertThat(later).as("a free sandbox is reused").isIn(a, b);
            assertThat(later.invocations).hasValue(2);
            assertThat(function.sandboxesCreated()).isEqualTo(2);
        }
    }

    @Test
    void invocationsBeyondTheMaximumConcurrency_waitForAFreeSandbox_andNeverShareOne() {
        try (LocalLambda<Memory> function = new LocalLambda<>("f", Duration.ofSeconds(30), 2, Memory::new)) {
            AtomicInteger running = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            AtomicBoolean shared = new AtomicBoolean();
            List<CompletableFuture<Integer>> calls = IntStream.range(0, 6)
                    .mapToObj(i -> CompletableFuture.supplyAsync(() -> function.invoke((memory, context) -> {
                        if (!memory.busy.compareAndSet(false, true)) {
                            shared.set(true);
                        }
                        most.accumulateAndGet(running.incrementAndGet(), Math::max);
                        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                        running.decrementAndGet();
                        memory.busy.set(false);
                        return i;
                    })))
                    .toList();
            calls.forEach(CompletableFuture::join);

            assertThat(most.get()).isLessThanOrEqualTo(2);
            assertThat(shared).isFalse();
            assertThat(function.sandboxesCreated()).isEqualTo(2);
        }
    }

    @Test
    void anInvocationPastItsTimeout_failsWithSandboxTimedout_isInterrupted_andItsSandboxIsDiscarded() {
        CountDownLatch interrupted = new CountDownLatch(1);
        try (LocalLambda<Memory> function = new LocalLambda<>("f", Duration.ofSeconds(1), 1, Memory::new)) {
            Memory[] abandoned = new Memory[1];
            long start = System.nanoTime();
            assertThatThrownBy(() -> function.invoke((memory, context) -> {
                        abandoned[0] = memory;
                        try {
                            new CountDownLatch(1).await();
                        } catch (InterruptedException e) {
                            interrupted.countDown();
                        }
                        return "late";
                    }))
                    .isInstanceOfSatisfying(FunctionError.class, e -> {
                        assertThat(e.errorType()).isEqualTo("Sandbox.Timedout");
                        assertThat(e.getMessage())
                                .matches("RequestId: [0-9a-f-]{36} Error: Task timed out after 1\\.00 seconds");
                    });
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));
            await(interrupted);
            assertThat(abandoned[0].sandbox.discarded()).isTrue();

            Memory next = function.invoke((memory, context) -> memory);
            assertThat(next).as("a new sandbox, the old one discarded").isNotSameAs(abandoned[0]);
            assertThat(next.sandbox.discarded()).isFalse();
            assertThat(function.sandboxesCreated()).isEqualTo(2);
        }
    }

    @Test
    void aThreadTheHandlerStarted_belongsToItsSandbox() {
        try (LocalLambda<Memory> function = new LocalLambda<>("f", Duration.ofSeconds(30), 1, Memory::new)) {
            Sandbox[] seen = new Sandbox[2];
            function.invoke((memory, context) -> {
                seen[0] = memory.sandbox;
                Thread child = Thread.ofVirtual().start(() -> seen[1] = Sandbox.current());
                try {
                    child.join();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                return null;
            });
            assertThat(seen[1]).isSameAs(seen[0]);
            assertThat(Sandbox.current()).as("the caller runs in none").isNull();
        }
    }

    private static RequestStreamHandler answering(int bytes) {
        return (in, out, context) -> {
            in.readAllBytes();
            // a JSON string: its two quotes and bytes - 2 letters
            out.write(('"' + "a".repeat(bytes - 2) + '"').getBytes(StandardCharsets.UTF_8));
        };
    }

    @Test
    void aResponseOverSixMegabytes_failsWithLambdasResponseSizeTooLarge_oneAtTheLimitPasses() {
        int limit = LocalLambda.MAX_SYNC_PAYLOAD_BYTES;
        try (LocalLambda<Function<JsonNode, JsonNode>> atLimit = new LocalLambda<>(
                        "f", Duration.ofSeconds(30), 1, sandbox -> LocalLambda.json(answering(limit), sandbox, limit));
                LocalLambda<Function<JsonNode, JsonNode>> over = new LocalLambda<>(
                        "f",
                        Duration.ofSeconds(30),
                        1,
                        sandbox -> LocalLambda.json(answering(limit + 1), sandbox, limit))) {

            JsonNode answer = atLimit.invoke((f, c) -> f.apply(TextNode.valueOf("in")));
            assertThat(answer.asText()).hasSize(limit - 2);
            assertThatThrownBy(() -> over.invoke((f, c) -> f.apply(TextNode.valueOf("in"))))
                    .isInstanceOfSatisfying(FunctionError.class, e -> {
                        assertThat(e.errorType()).isEqualTo("Function.ResponseSizeTooLarge");
                        assertThat(e.getMessage())
                                .isEqualTo(
                                        "Response payload size exceeded maximum allowed payload size (6291556 bytes).");
                    });
        }
    }

    @Test
    void aRequestOverTheLimit_isRefusedBeforeTheHandlerSeesIt() {
        AtomicInteger handled = new AtomicInteger();
        RequestStreamHandler handler = (in, out, context) -> {
            handled.incrementAndGet();
            out.write("{}".getBytes(StandardCharsets.UTF_8));
        };
        try (LocalLambda<Function<JsonNode, JsonNode>> function = new LocalLambda<>(
                "f",
                Duration.ofSeconds(30),
                1,
                sandbox -> LocalLambda.json(handler, sandbox, LocalLambda.MAX_ASYNC_PAYLOAD_BYTES))) {
            assertThatThrownBy(() -> function.invoke(
                            (f, c) -> f.apply(TextNode.valueOf("a".repeat(LocalLambda.MAX_ASYNC_PAYLOAD_BYTES - 1)))))
                    .isInstanceOfSatisfying(
                            FunctionError.class,
                            e -> assertThat(e.errorType()).isEqualTo("Lambda.RequestTooLargeException"));
            assertThat(function.invoke((f, c) -> f.apply(TextNode.valueOf("small")))
                            .isObject())
                    .isTrue();
            assertThat(handled).hasValue(1);
        }
    }
}
