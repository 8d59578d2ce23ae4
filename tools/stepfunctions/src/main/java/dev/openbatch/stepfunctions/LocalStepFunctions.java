package dev.openbatch.stepfunctions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Step Functions on one machine: state machines registered from definition text in the subset
 * {@link StateMachineDefinition} accepts, and Standard-workflow executions of them on virtual
 * threads. Lambda tasks call the functions given here in-process; SQS callback tasks send through
 * the given client and wait for SendTaskSuccess, SendTaskFailure or a timeout. Errors are
 * {@link StepFunctionsException}s with the codes AWS uses. {@link StepFunctionsServer} puts this on
 * the wire for the real {@code SfnClient}.
 *
 * <p>Given a directory, it keeps every execution there, recording where each stands at every step
 * (see {@link ExecutionStore}); {@link #resumeExecutions()} in a new process goes on from there, so
 * a runtime that was stopped or killed mid-batch finishes the batch when it starts again.
 */
public final class LocalStepFunctions implements AutoCloseable {

    /** The account every ARN names, as the other emulators use. */
    public static final String ACCOUNT = "000000000000";

    /** A name may not hold whitespace, brackets, wildcards, these specials or control characters (AWS's rule). */
    private static final Pattern NAME =
            Pattern.compile("[^\\s<>{}\\[\\]?*\"#%\\\\^|~`$&,;:/\\x00-\\x1f\\x7f-\\x9f]{1,80}");

    /** The status of an execution, as DescribeExecution reports it. */
    public enum ExecutionStatus {
        RUNNING,
        SUCCEEDED,
        FAILED,
        TIMED_OUT,
        ABORTED
    }

    /** What StartExecution answers. */
    public record StartedExecution(String executionArn, Instant startDate) {}

    /** What DescribeExecution answers; stopDate, output, error and cause are null until they apply. */
    public record ExecutionDescription(
            String executionArn,
            String stateMachineArn,
            String name,
            ExecutionStatus status,
            Instant startDate,
            Instant stopDate,
            String input,
            String output,
            String error,
            String cause) {}

    /**
     * One event of an execution's history, as GetExecutionHistory lists it: its details, when it has
     * any, are the JSON of the {@code detailsField} AWS gives that type of event (names, errors,
     * indexes; never the state's data).
     */
    public record HistoryEvent(
            long id, long previousEventId, Instant timestamp, String type, String detailsField, JsonNode details) {}

    /**
     * A page of GetExecutionHistory: the events, and the token for the next page or null.
     * {@code total} is how many events the execution has written, those before a restart included
     * (a restarted runtime lists only the events since it started).
     */
    public record HistoryPage(List<HistoryEvent> events, String nextToken, long total) {}

    /** What DescribeStateMachine answers; the definition is the text after substitution. */
    public record StateMachineDescription(
            String stateMachineArn, String name, String definition, Instant creationDate) {}

    private record StateMachine(StateMachineDescription description, StateMachineDefinition definition) {}

    private static final System.Logger LOG = System.getLogger(LocalStepFunctions.class.getName());

    private final String region;
    private final Integrations integrations;
    private final ExecutionStore store;
    private final ConcurrentMap<String, StateMachine> stateMachines = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Execution> executions = new ConcurrentHashMap<>();

    /**
     * @param region    the region every ARN names
     * @param functions the Lambda functions tasks may invoke, keyed by the {@code FunctionName} the
     *                  definition gives after substitution (a name or an ARN). A function that
     *                  throws fails its task with the exception's fully qualified class name as the
     *                  error (what the Java Lambda runtime reports as {@code errorType}) and
     *                  {@code {"errorMessage","errorType"}} as the cause; a {@link LambdaError}
     *                  (Lambda's own failure) with its {@code errorType} instead, and a
     *                  {@link TaskError} (the service refusing the call) with its error and cause
     * @param sqs       the client {@code sqs:sendMessage.waitForTaskToken} tasks send with
     */
    public LocalStepFunctions(String region, Map<String, Function<JsonNode, JsonNode>> functions, SqsClient sqs) {
        this(region, functions, sqs, ExecutionStore.NONE);
    }

    /**
     * As {@link #LocalStepFunctions(String, Map, SqsClient)}, keeping executions in {@code executions}
     * so that {@link #resumeExecutions()} can go on with them after a restart.
     */
    public LocalStepFunctions(
            String region, Map<String, Function<JsonNode, JsonNode>> functions, SqsClient sqs, Path executions) {
        this(region, functions, sqs, ExecutionStore.in(executions));
    }

    private LocalStepFunctions(
            String region, Map<String, Function<JsonNode, JsonNode>> functions, SqsClient sqs, ExecutionStore store) {
        this.region = Objects.requireNonNull(region, "region");
        this.integrations = new Integrations(functions, Objects.requireNonNull(sqs, "sqs"));
        this.store = store;
    }

    /**
     * Registers a state machine after substituting {@code ${Name}} placeholders and validating the
     * definition, including that every literal FunctionName is one of the functions given.
     * Registering the same name with the same definition again is a no-op.
     *
     * @return {@code arn:aws:states:<region>:000000000000:stateMachine:<name>}
     * @throws StepFunctionsException InvalidName, InvalidDefinition or StateMachineAlreadyExists
     */
    public String register(String name, String definitionText, Map<String, String> substitutions) {
        checkName(name);
        StateMachineDefinition definition = StateMachineDefinition.parse(definitionText, substitutions);
        definition.functionNames().stream()
                .filter(f -> !integrations.hasFunction(f))
                .findFirst()
                .ifPresent(f -> {
                    throw StepFunctionsException.invalidDefinition(
                            "FunctionName '" + f + "' names no function given to local" + " Step Functions");
                });
        String arn = "arn:aws:states:" + region + ":" + ACCOUNT + ":stateMachine:" + name;
        StateMachine registered = stateMachines.computeIfAbsent(
                arn,
                a -> new StateMachine(
                        new StateMachineDescription(arn, name, definition.text(), Instant.now()), definition));
        if (!registered.definition().text().equals(definition.text())) {
            throw new StepFunctionsException(
                    "StateMachineAlreadyExists",
                    "State Machine Already Exists: '" + arn + "' with a different definition");
        }
        return arn;
    }

    public StateMachineDescription describeStateMachine(String stateMachineArn) {
        return stateMachine(stateMachineArn).description();
    }

    /**
     * Starts an execution, as Standard workflows do: a name (a random one when null) is taken for
     * good; starting again with the name and the identical input while that execution runs answers
     * with it, and anything else is ExecutionAlreadyExists.
     *
     * @param input JSON text; null means {@code {}}
     */
    public StartedExecution startExecution(String stateMachineArn, String name, String input) {
        StateMachine stateMachine = stateMachine(stateMachineArn);
        String executionName = name == null ? UUID.randomUUID().toString() : name;
        checkName(executionName);
        String inputText = input == null ? "{}" : input;
        JsonNode inputJson;
        try {
            inputJson = Json.MAPPER.readTree(inputText);
        } catch (JsonProcessingException e) {
            throw new StepFunctionsException(
                    "InvalidExecutionInput", "Invalid execution input: " + e.getOriginalMessage());
        }
        if (inputJson == null || inputJson.isMissingNode()) {
            throw new StepFunctionsException("InvalidExecutionInput", "Invalid execution input: empty");
        }
        checkLength("input", inputText);
        String arn = "arn:aws:states:" + region + ":" + ACCOUNT + ":execution:"
                + stateMachine.description().name() + ":" + executionName;
        Execution execution = new Execution(
                arn, executionName, stateMachineArn, stateMachine.description().name(), inputText, inputJson, store);
        Execution existing = executions.putIfAbsent(arn, execution);
        if (existing != null) {
            if (existing.running() && existing.input.equals(inputText)) {
                return new StartedExecution(existing.arn, existing.startDate);
            }
            throw new StepFunctionsException("ExecutionAlreadyExists", "Execution Already Exists: '" + arn + "'");
        }
        try {
            execution.event(execution.root(), "ExecutionStarted", null, null);
        } catch (StateFailure cannotHappen) {
            throw new IllegalStateException(cannotHappen);
        }
        // Kept before the caller hears of it: an execution that was started is resumed after a crash.
        execution.record();
        launch(execution, stateMachine);
        return new StartedExecution(arn, execution.startDate);
    }

    private void launch(Execution execution, StateMachine stateMachine) {
        Interpreter interpreter = new Interpreter(execution, integrations);
        execution.runOn(Thread.ofVirtual()
                .name("execution-" + execution.name)
                .unstarted(() -> run(execution, interpreter, stateMachine.definition())));
        int timeout = stateMachine.definition().timeoutSeconds();
        if (timeout > 0) {
            long left =
                    Math.max(0, execution.startDate.plusSeconds(timeout).toEpochMilli() - System.currentTimeMillis());
            CompletableFuture.delayedExecutor(left, TimeUnit.MILLISECONDS)
                    .execute(() -> execution.stop(
                            ExecutionStatus.TIMED_OUT,
                            StateFailure.TIMEOUT,
                            "The execution ran longer than " + timeout + " seconds"));
        }
    }

    /**
     * Loads the executions kept in the directory: ended ones answer DescribeExecution again and keep
     * their names taken; running ones go on from the step they stood at — a task that was under way
     * runs again, and a callback task sends its message again with the token it had, so an answer
     * sent with that token before or after the restart completes it. Call once, after registering
     * the state machines; an execution of a state machine not registered is left where it is.
     *
     * @return how many running executions were resumed
     */
    public int resumeExecutions() {
        int resumed = 0;
        for (JsonNode kept : store.load()) {
            Execution execution = Execution.restore(kept, store);
            StateMachine stateMachine = stateMachines.get(execution.stateMachineArn);
            if (stateMachine == null) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "execution " + execution.arn + " belongs to a state machine"
                                + " that is not registered; left as it was");
                continue;
            }
            if (executions.putIfAbsent(execution.arn, execution) == null && execution.running()) {
                launch(execution, stateMachine);
                resumed++;
            }
        }
        return resumed;
    }

    private static void run(Execution execution, Interpreter interpreter, StateMachineDefinition definition) {
        try {
            JsonNode output = interpreter.run(definition.scope(), execution.inputJson, execution.root());
            execution.close(ExecutionStatus.SUCCEEDED, Json.writeString(output), null, null);
        } catch (StateFailure failure) {
            execution.close(ExecutionStatus.FAILED, null, failure.error(), failure.cause());
        } catch (InterruptedException e) {
            // stopped or timed out: whoever interrupted has closed the execution
        } catch (RuntimeException e) {
            execution.close(ExecutionStatus.FAILED, null, StateFailure.RUNTIME, "local Step Functions failed: " + e);
        }
    }

    public ExecutionDescription describeExecution(String executionArn) {
        return execution(executionArn).describe();
    }

    /** Aborts a running execution; for one already ended, answers its stop date and changes nothing. */
    public Instant stopExecution(String executionArn, String error, String cause) {
        Execution execution = execution(executionArn);
        execution.stop(ExecutionStatus.ABORTED, error, cause);
        return execution.stopDate();
    }

    /**
     * An execution's history, oldest first (newest first when {@code reverseOrder}), at most
     * {@code maxResults} events a page (0 means 100, at most 1000), as GetExecutionHistory pages it.
     */
    public HistoryPage executionHistory(String executionArn, int maxResults, String nextToken, boolean reverseOrder) {
        Execution execution = execution(executionArn);
        if (maxResults < 0 || maxResults > 1000) {
            throw new StepFunctionsException(
                    "ValidationException",
                    "1 validation error detected: Value '" + maxResults
                            + "' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000");
        }
        List<HistoryEvent> events = new ArrayList<>(execution.history());
        if (reverseOrder) {
            Collections.reverse(events);
        }
        int from;
        try {
            from = nextToken == null ? 0 : Integer.parseInt(nextToken);
        } catch (NumberFormatException e) {
            throw new StepFunctionsException("InvalidToken", "Invalid Token: '" + nextToken + "'");
        }
        int size = maxResults == 0 ? 100 : maxResults;
        int to = Math.min(events.size(), from + size);
        return new HistoryPage(
                events.subList(Math.min(from, to), to),
                to < events.size() ? Integer.toString(to) : null,
                execution.historyEvents());
    }

    /** @param output JSON text, the task's result */
    public void sendTaskSuccess(String taskToken, String output) {
        checkLength("output", output);
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(output == null ? "" : output);
        } catch (JsonProcessingException e) {
            throw new StepFunctionsException("InvalidOutput", "Invalid output: " + e.getOriginalMessage());
        }
        if (json == null || json.isMissingNode()) {
            throw new StepFunctionsException("InvalidOutput", "Invalid output: empty");
        }
        integrations.succeed(taskToken, json);
    }

    public void sendTaskFailure(String taskToken, String error, String cause) {
        integrations.fail(taskToken, error, cause);
    }

    public void sendTaskHeartbeat(String taskToken) {
        integrations.heartbeat(taskToken);
    }

    /**
     * Stops every running execution where it stands without ending it: kept in a directory, each is
     * resumed by the next process's {@link #resumeExecutions()}, as after a crash.
     */
    @Override
    public void close() {
        executions.values().forEach(Execution::suspend);
    }

    private StateMachine stateMachine(String arn) {
        if (arn == null || !arn.startsWith("arn:aws:states:" + region + ":" + ACCOUNT + ":stateMachine:")) {
            throw new StepFunctionsException("InvalidArn", "Invalid Arn: '" + arn + "'");
        }
        StateMachine stateMachine = stateMachines.get(arn);
        if (stateMachine == null) {
            throw new StepFunctionsException(
                    "StateMachineDoesNotExist",
                    "State Machine Does Not Exist: '" + arn + "'; registered: "
                            + new TreeSet<>(stateMachines.keySet()));
        }
        return stateMachine;
    }

    private Execution execution(String arn) {
        if (arn == null || !arn.startsWith("arn:aws:states:" + region + ":" + ACCOUNT + ":execution:")) {
            throw new StepFunctionsException("InvalidArn", "Invalid Arn: '" + arn + "'");
        }
        Execution execution = executions.get(arn);
        if (execution == null) {
            throw new StepFunctionsException("ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'");
        }
        return execution;
    }

    /** The API's own bound on a payload field, as StartExecution and SendTaskSuccess refuse one too long. */
    private static void checkLength(String field, String value) {
        if (value != null && value.length() > Limits.PAYLOAD_BYTES) {
            throw new StepFunctionsException(
                    "ValidationException",
                    "1 validation error detected: Value at '" + field
                            + "' failed to satisfy constraint: Member must have length less than or equal to "
                            + Limits.PAYLOAD_BYTES);
        }
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new StepFunctionsException("InvalidName", "Invalid Name: '" + name + "'");
        }
    }
}
