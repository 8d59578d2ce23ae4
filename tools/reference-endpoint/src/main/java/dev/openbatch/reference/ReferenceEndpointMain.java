package dev.openbatch.reference;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a {@link ReferenceEndpoint} in its own process, for benchmarks: prints its base URL on the first line of
 * standard output, then serves until killed.
 *
 * <pre>
 * --port N              the port (default 0: a free one)
 * --latency-ms N        added before every answer
 * --jitter-ms N         up to this much more, at random
 * --max-concurrency N   429 beyond N requests in flight (default 0: no cap)
 * --fault-500 P         probability 0..1 of a 500; likewise:
 * --fault-503 P  --fault-429 P  --fault-timeout P  --fault-reset P  --fault-truncated P  --fault-non-json P
 * --retry-after-429 S   the share 0..1 of injected 429s that carry Retry-After: 1 (default 0.5)
 * --timeout-hold-ms N   how long a timeout fault holds the request (default 60000)
 * --seed N              seeds the draw of faults
 * --models A,B          serve only these models, answering OpenAI's 404 model_not_found to others (default any)
 * </pre>
 */
public final class ReferenceEndpointMain {

    private ReferenceEndpointMain() {}

    public static void main(String[] args) throws InterruptedException {
        Options options;
        try {
            options = options(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "; see the Javadoc of ReferenceEndpointMain for the options");
            System.exit(2);
            return;
        }
        ReferenceEndpoint endpoint = ReferenceEndpoint.start(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            endpoint.close();
            stopped.countDown();
        }));
        System.out.println(endpoint.baseUrl());
        System.out.flush();
        stopped.await();
    }

    /** Reads the command line into options. */
    static Options options(String[] args) {
        Options.Builder options = Options.builder();
        for (int i = 0; i < args.length; i += 2) {
            String name = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + name + " needs a value");
            }
            String value = args[i + 1];
            try {
                switch (name) {
                    case "--port" -> options.port(Integer.parseInt(value));
                    case "--latency-ms" -> options.latency(Duration.ofMillis(Long.parseLong(value)));
                    case "--jitter-ms" -> options.latencyJitter(Duration.ofMillis(Long.parseLong(value)));
                    case "--max-concurrency" -> options.maxConcurrency(Integer.parseInt(value));
                    case "--fault-500" -> options.error500(Double.parseDouble(value));
                    case "--fault-503" -> options.error503(Double.parseDouble(value));
                    case "--fault-429" -> options.error429(Double.parseDouble(value));
                    case "--retry-after-429" -> options.retryAfter429(Double.parseDouble(value));
                    case "--fault-timeout" -> options.timeout(Double.parseDouble(value));
                    case "--fault-reset" -> options.connectionReset(Double.parseDouble(value));
                    case "--fault-truncated" -> options.truncatedBody(Double.parseDouble(value));
                    case "--fault-non-json" -> options.nonJsonBody(Double.parseDouble(value));
                    case "--timeout-hold-ms" -> options.timeoutHold(Duration.ofMillis(Long.parseLong(value)));
                    case "--seed" -> options.seed(Long.parseLong(value));
                    case "--models" -> options.models(List.of(value.split(",")));
                    default -> throw new IllegalArgumentException("unknown option " + name);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("option " + name + " needs a number, got " + value, e);
            }
        }
        return options.build();
    }
}
