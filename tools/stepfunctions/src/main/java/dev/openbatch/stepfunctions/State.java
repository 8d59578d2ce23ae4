package dev.openbatch.stepfunctions;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.stepfunctions.JsonPaths.Path;
import java.util.List;
import java.util.Map;

/**
 * A state of the supported subset, as parsed and validated by {@link StateMachineDefinition}.
 * A {@code next} of null means {@code "End": true}. A {@link Path} of null stands for a JSON null
 * path: {@code {}} as InputPath or OutputPath, "discard the result" as ResultPath.
 */
sealed interface State {

    String name();

    /** The states a Map's ItemProcessor, or the whole machine, walks from {@code startAt}. */
    record Scope(String startAt, Map<String, State> states) {}

    /** InputPath, then Parameters (or ItemSelector) → work → ResultSelector, ResultPath, OutputPath. */
    record Io(Path inputPath, JsonNode parameters, JsonNode resultSelector, Path resultPath, Path outputPath) {}

    /** A Retry entry; {@code maxDelaySeconds} 0 means no cap. */
    record Retrier(
            List<String> errorEquals,
            int intervalSeconds,
            int maxAttempts,
            double backoffRate,
            int maxDelaySeconds,
            boolean fullJitter) {}

    record Catcher(List<String> errorEquals, Path resultPath, String next) {}

    enum Resource {
        LAMBDA_INVOKE("arn:aws:states:::lambda:invoke"),
        SQS_SEND_WAIT_FOR_TASK_TOKEN("arn:aws:states:::sqs:sendMessage.waitForTaskToken");

        final String arn;

        Resource(String arn) {
            this.arn = arn;
        }
    }

    /**
     * {@code timeoutSeconds} and {@code heartbeatSeconds} are 0 when absent; {@code timeoutSecondsPath},
     * when not null, gives the timeout at run time instead.
     */
    record Task(
            String name,
            Resource resource,
            Io io,
            int timeoutSeconds,
            Path timeoutSecondsPath,
            int heartbeatSeconds,
            List<Retrier> retry,
            List<Catcher> catchers,
            String next)
            implements State {}

    /**
     * One of {@code maxConcurrency} (0 = as many as an INLINE Map runs at once, 40) and
     * {@code maxConcurrencyPath} (or null) applies.
     */
    record MapState(
            String name,
            Io io,
            Path itemsPath,
            JsonNode itemSelector,
            Scope processor,
            int maxConcurrency,
            Path maxConcurrencyPath,
            List<Retrier> retry,
            List<Catcher> catchers,
            String next)
            implements State {}

    record Choice(String name, Path inputPath, Path outputPath, List<Branch> choices, String defaultNext)
            implements State {}

    /** {@code result} is the literal Result, or null to pass the (Parameters-shaped) input on. */
    record Pass(String name, Io io, JsonNode result, String next) implements State {}

    record Succeed(String name, Path inputPath, Path outputPath) implements State {}

    /** Error and cause may be null. */
    record Fail(String name, String error, String cause) implements State {}

    record Branch(Rule rule, String next) {}

    /** A Choice rule: a comparison of one variable, or And, Or, Not of rules. */
    sealed interface Rule {

        enum Operator {
            STRING_EQUALS,
            BOOLEAN_EQUALS,
            NUMERIC_EQUALS,
            IS_PRESENT
        }

        record Compare(Path variable, Operator operator, JsonNode value) implements Rule {}

        record And(List<Rule> rules) implements Rule {}

        record Or(List<Rule> rules) implements Rule {}

        record Not(Rule rule) implements Rule {}
    }
}
