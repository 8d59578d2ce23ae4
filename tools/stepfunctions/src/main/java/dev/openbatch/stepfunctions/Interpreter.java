package dev.openbatch.stepfunctions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.Json;
import dev.openbatch.stepfunctions.State.Branch;
import dev.openbatch.stepfunctions.State.Catcher;
import dev.openbatch.stepfunctions.State.Io;
import dev.openbatch.stepfunctions.State.Retrier;
import dev.openbatch.stepfunctions.State.Rule;
import dev.openbatch.stepfunctions.State.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;

/** Walks the states of one execution with the States Language's input and output processing. */
final class Interpreter {

    private record Step(JsonNode output, String next) {}

    @FunctionalInterface
    private interface Attempt {
        Step run() throws StateFailure, InterruptedException;
    }

    private final Execution execution;
    private final Integrations integrations;

    Interpreter(Execution execution, Integrations integrations) {
        this.execution = execution;
        this.integrations = integrations;
    }

    /**
     * Runs the scope until a state ends it and answers the output of that state: from its StartAt
     * with {@code input}, or, for a frame that had begun before a restart, from the state it stood
     * in, with that state's input.
     */
    JsonNode run(Scope scope, JsonNode input, Frame frame) throws StateFailure, InterruptedException {
        Map.Entry<String, JsonNode> position = execution.position(frame).orElse(null);
        String name = position == null ? scope.startAt() : position.getKey();
        JsonNode data = position == null ? input : position.getValue();
        if (position == null) {
            enter(scope, frame, name, data);
        }
        while (true) {
            ensureRunning();
            State state = scope.states().get(name);
            if (state == null) {
                throw StateFailure.runtime(
                        "the execution stood in state '" + name + "', which the definition no" + " longer has");
            }
            Step step = step(state, data, frame);
            checkSize(state.name(), step.output(), "an output");
            execution.event(frame, kind(state) + "StateExited", "stateExitedEventDetails", named(state.name()));
            if (step.next() == null) {
                return step.output();
            }
            name = step.next();
            data = step.output();
            enter(scope, frame, name, data);
        }
    }

    private void enter(Scope scope, Frame frame, String name, JsonNode data) throws StateFailure {
        execution.enter(frame, name, data);
        State state = scope.states().get(name);
        if (state != null) {
            execution.event(frame, kind(state) + "StateEntered", "stateEnteredEventDetails", named(name));
        }
    }

    /** The word Step Functions starts a state's history events with: TaskStateEntered, MapStateExited, ... */
    private static String kind(State state) {
        return switch (state) {
            case State.Task t -> "Task";
            case State.MapState m -> "Map";
            case State.Choice c -> "Choice";
            case State.Pass p -> "Pass";
            case State.Succeed s -> "Succeed";
            case State.Fail f -> "Fail";
        };
    }

    private static ObjectNode named(String name) {
        ObjectNode details = JsonNodeFactory.instance.objectNode();
        details.put("name", name);
        return details;
    }

    private Step step(State state, JsonNode input, Frame frame) throws StateFailure, InterruptedException {
        return switch (state) {
            case State.Task task ->
                handlingErrors(
                        task.retry(),
                        task.catchers(),
                        input,
                        frame,
                        () -> new Step(task(task, input, frame), task.next()));
            case State.MapState map ->
                handlingErrors(
                        map.retry(), map.catchers(), input, frame, () -> new Step(map(map, input, frame), map.next()));
            case State.Choice choice -> choice(choice, input);
            case State.Pass pass -> new Step(pass(pass, input), pass.next());
            case State.Succeed succeed ->
                new Step(
                        JsonPaths.select(
                                JsonPaths.select(input, succeed.inputPath(), "InputPath"),
                                succeed.outputPath(),
                                "OutputPath"),
                        null);
            case State.Fail fail -> throw StateFailure.of(fail.error(), fail.cause());
        };
    }

    /**
     * One attempt of a task, writing the events Step Functions writes for it: TaskScheduled,
     * TaskStarted, TaskSubmitted once a callback's message is sent, then TaskSucceeded, TaskFailed or
     * TaskTimedOut.
     */
    private JsonNode task(State.Task task, JsonNode input, Frame frame) throws StateFailure, InterruptedException {
        JsonNode effective = JsonPaths.select(input, task.io().inputPath(), "InputPath");
        ObjectNode context = context(task.name());
        int timeoutSeconds = timeoutSeconds(task, effective);
        String resource = task.resource() == State.Resource.LAMBDA_INVOKE ? "invoke" : "sendMessage.waitForTaskToken";
        ObjectNode details = JsonNodeFactory.instance.objectNode();
        details.put("resourceType", task.resource() == State.Resource.LAMBDA_INVOKE ? "lambda" : "sqs");
        details.put("resource", resource);
        JsonNode result;
        try {
            result = switch (task.resource()) {
                case LAMBDA_INVOKE -> {
                    JsonNode parameters = JsonPaths.applyTemplate(task.io().parameters(), effective, context);
                    scheduled(task, frame, parameters, timeoutSeconds, details);
                    yield integrations.invokeLambda(parameters, timeoutSeconds);
                }
                case SQS_SEND_WAIT_FOR_TASK_TOKEN -> {
                    // The token it waited on before a restart, so an answer sent with it still counts.
                    String token = integrations.token(execution.token(frame));
                    execution.awaitToken(frame, token);
                    context.putObject("Task").put("Token", token);
                    JsonNode parameters = JsonPaths.applyTemplate(task.io().parameters(), effective, context);
                    scheduled(task, frame, parameters, timeoutSeconds, details);
                    yield integrations.sendAndWait(
                            token,
                            parameters,
                            timeoutSeconds,
                            task.heartbeatSeconds(),
                            () -> execution.event(
                                    frame, "TaskSubmitted", "taskSubmittedEventDetails", details.deepCopy()));
                }
            };
            checkSize(task.name(), result, "a result");
        } catch (StateFailure failure) {
            if (!failure.terminal()) {
                ObjectNode failed = details.deepCopy().put("error", failure.error());
                if (failure.cause() != null) {
                    failed.put("cause", failure.cause());
                }
                boolean timedOut = failure.matches(StateFailure.TIMEOUT);
                execution.event(
                        frame,
                        timedOut ? "TaskTimedOut" : "TaskFailed",
                        timedOut ? "taskTimedOutEventDetails" : "taskFailedEventDetails",
                        failed);
            }
            throw failure;
        }
        execution.event(frame, "TaskSucceeded", "taskSucceededEventDetails", details.deepCopy());
        return output(task.name(), task.io(), input, result, context);
    }

    /** The task's input after Parameters is bounded too; then TaskScheduled and TaskStarted. */
    private void scheduled(State.Task task, Frame frame, JsonNode parameters, int timeoutSeconds, ObjectNode details)
            throws StateFailure {
        checkSize(task.name(), parameters, "an input, after Parameters,");
        ObjectNode scheduled = details.deepCopy();
        if (timeoutSeconds > 0) {
            scheduled.put("timeoutInSeconds", timeoutSeconds);
        }
        execution.event(frame, "TaskScheduled", "taskScheduledEventDetails", scheduled);
        execution.event(frame, "TaskStarted", "taskStartedEventDetails", details.deepCopy());
    }

    /** TimeoutSeconds, or the positive integer TimeoutSecondsPath selects from the task's input. */
    private static int timeoutSeconds(State.Task task, JsonNode effective) throws StateFailure {
        if (task.timeoutSecondsPath() == null) {
            return task.timeoutSeconds();
        }
        JsonNode value = task.timeoutSecondsPath().read(effective).orElse(null);
        if (value == null || !value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 1) {
            throw StateFailure.runtime(
                    "TimeoutSecondsPath '" + task.timeoutSecondsPath().text() + "' of state '" + task.name()
                            + "' must select a positive integer, not " + value);
        }
        return value.asInt();
    }

    private JsonNode map(State.MapState map, JsonNode input, Frame frame) throws StateFailure, InterruptedException {
        JsonNode effective = JsonPaths.select(input, map.io().inputPath(), "InputPath");
        ObjectNode context = context(map.name());
        JsonNode items = JsonPaths.select(effective, map.itemsPath(), "ItemsPath");
        if (!items.isArray()) {
            throw StateFailure.runtime("ItemsPath '" + map.itemsPath().text() + "' of state '" + map.name()
                    + "' must select an array, not " + items.getNodeType());
        }
        int maxConcurrency = map.maxConcurrency();
        if (map.maxConcurrencyPath() != null) {
            JsonNode value = JsonPaths.select(effective, map.maxConcurrencyPath(), "MaxConcurrencyPath");
            if (!value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < 0) {
                throw StateFailure.runtime("MaxConcurrencyPath of state '" + map.name()
                        + "' must select a non-negative integer, not " + value);
            }
            if (value.asLong() > Limits.INLINE_MAP_CONCURRENCY) {
                throw StateFailure.runtime("state '" + map.name() + "': "
                        + Limits.inlineMapConcurrency(
                                "MaxConcurrencyPath '"
                                        + map.maxConcurrencyPath().text() + "' selected",
                                value.asLong()));
            }
            maxConcurrency = value.asInt();
        }
        List<JsonNode> iterationInputs = new ArrayList<>();
        for (int index = 0; index < items.size(); index++) {
            if (map.itemSelector() == null) {
                iterationInputs.add(items.get(index));
                continue;
            }
            ObjectNode itemContext = context(map.name());
            ObjectNode item = itemContext.putObject("Map").putObject("Item");
            item.put("Index", index);
            item.set("Value", items.get(index));
            JsonNode iterationInput = JsonPaths.applyTemplate(map.itemSelector(), effective, itemContext);
            checkSize(map.name(), iterationInput, "an iteration input, after ItemSelector,");
            iterationInputs.add(iterationInput);
        }
        ObjectNode started = JsonNodeFactory.instance.objectNode().put("length", items.size());
        execution.event(frame, "MapStateStarted", "mapStateStartedEventDetails", started);
        ArrayNode results;
        try {
            results = iterate(map.name(), map.processor(), iterationInputs, maxConcurrency, frame);
        } catch (StateFailure failure) {
            if (!failure.terminal()) {
                execution.event(frame, "MapStateFailed", null, null);
            }
            throw failure;
        }
        execution.event(frame, "MapStateSucceeded", null, null);
        return output(map.name(), map.io(), input, results, context);
    }

    /**
     * Runs one iteration per input on virtual threads, starting the next only when one finishes, so
     * never more than {@code maxConcurrency} (0 = all) run at once. The first failure fails the Map
     * and interrupts the iterations still running. Iterations that ended before a restart are not
     * run again; those under way go on from where they stood.
     */
    private ArrayNode iterate(String mapName, Scope processor, List<JsonNode> inputs, int maxConcurrency, Frame frame)
            throws StateFailure, InterruptedException {
        JsonNode[] outputs = new JsonNode[inputs.size()];
        execution.finishedIterations(frame).forEach((index, output) -> outputs[index] = output);
        // In order, so the iterations under way at a restart (always the first unfinished ones) go first.
        List<Integer> todo = IntStream.range(0, inputs.size())
                .filter(i -> outputs[i] == null)
                .boxed()
                .toList();
        int limit = Math.min(maxConcurrency == 0 ? Limits.INLINE_MAP_CONCURRENCY : maxConcurrency, todo.size());
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        CompletionService<Integer> finished = new ExecutorCompletionService<>(threads);
        try {
            int started = 0;
            for (; started < limit; started++) {
                submit(finished, mapName, processor, inputs, todo.get(started), outputs, frame);
            }
            for (int done = 0; done < todo.size(); done++) {
                try {
                    finished.take().get();
                } catch (ExecutionException e) {
                    switch (e.getCause()) {
                        case StateFailure failure -> throw failure;
                        case InterruptedException interrupted -> throw interrupted;
                        case RuntimeException bug -> throw bug;
                        default -> throw new IllegalStateException(e.getCause());
                    }
                }
                if (started < todo.size()) {
                    submit(finished, mapName, processor, inputs, todo.get(started++), outputs, frame);
                }
            }
        } finally {
            // Waits for the interrupted ones too, so none records an ending after the Map has moved on.
            threads.shutdownNow();
            threads.close();
        }
        ArrayNode results = JsonNodeFactory.instance.arrayNode();
        for (JsonNode output : outputs) {
            results.add(output);
        }
        return results;
    }

    private void submit(
            CompletionService<Integer> finished,
            String mapName,
            Scope processor,
            List<JsonNode> inputs,
            int index,
            JsonNode[] outputs,
            Frame frame) {
        Frame iteration = execution.iteration(frame, index);
        ObjectNode details = named(mapName).put("index", index);
        finished.submit(() -> {
            iteration.lastEvent = frame.lastEvent;
            if (execution.position(iteration).isEmpty()) {
                execution.event(iteration, "MapIterationStarted", "mapIterationStartedEventDetails", details);
            }
            try {
                outputs[index] = run(processor, inputs.get(index), iteration);
            } catch (StateFailure failure) {
                if (!failure.terminal()) {
                    execution.event(iteration, "MapIterationFailed", "mapIterationFailedEventDetails", details);
                }
                throw failure;
            }
            execution.event(iteration, "MapIterationSucceeded", "mapIterationSucceededEventDetails", details);
            execution.finishIteration(frame, index, outputs[index]);
            return index;
        });
    }

    private Step choice(State.Choice choice, JsonNode input) throws StateFailure {
        JsonNode effective = JsonPaths.select(input, choice.inputPath(), "InputPath");
        String next = choice.defaultNext();
        for (Branch branch : choice.choices()) {
            if (matches(branch.rule(), effective)) {
                next = branch.next();
                break;
            }
        }
        if (next == null) {
            throw StateFailure.of(
                    StateFailure.NO_CHOICE_MATCHED,
                    "No Matches! in state '" + choice.name() + "' for input " + effective);
        }
        return new Step(JsonPaths.select(effective, choice.outputPath(), "OutputPath"), next);
    }

    private static boolean matches(Rule rule, JsonNode input) throws StateFailure {
        switch (rule) {
            case Rule.And and -> {
                for (Rule each : and.rules()) {
                    if (!matches(each, input)) {
                        return false;
                    }
                }
                return true;
            }
            case Rule.Or or -> {
                for (Rule each : or.rules()) {
                    if (matches(each, input)) {
                        return true;
                    }
                }
                return false;
            }
            case Rule.Not not -> {
                return !matches(not.rule(), input);
            }
            case Rule.Compare compare -> {
                JsonNode value = compare.variable().read(input).orElse(null);
                if (compare.operator() == Rule.Operator.IS_PRESENT) {
                    return (value != null) == compare.value().asBoolean();
                }
                if (value == null) {
                    throw StateFailure.runtime(
                            "Invalid path '" + compare.variable().text()
                                    + "': The choice state's condition path references an invalid value.");
                }
                JsonNode expected = compare.value();
                return switch (compare.operator()) {
                    case STRING_EQUALS -> value.isTextual() && value.asText().equals(expected.asText());
                    case BOOLEAN_EQUALS -> value.isBoolean() && value.asBoolean() == expected.asBoolean();
                    case NUMERIC_EQUALS ->
                        value.isNumber() && value.decimalValue().compareTo(expected.decimalValue()) == 0;
                    case IS_PRESENT -> throw new IllegalStateException();
                };
            }
        }
    }

    private JsonNode pass(State.Pass pass, JsonNode input) throws StateFailure {
        JsonNode effective = JsonPaths.select(input, pass.io().inputPath(), "InputPath");
        ObjectNode context = context(pass.name());
        JsonNode result = pass.result() != null
                ? pass.result().deepCopy()
                : pass.io().parameters() != null
                        ? JsonPaths.applyTemplate(pass.io().parameters(), effective, context)
                        : effective;
        if (pass.io().parameters() != null) {
            checkSize(pass.name(), result, "an input, after Parameters,");
        }
        return output(pass.name(), pass.io(), input, result, context);
    }

    /** ResultSelector, ResultPath (onto the state's raw input), OutputPath. */
    private static JsonNode output(String state, Io io, JsonNode rawInput, JsonNode result, JsonNode context)
            throws StateFailure {
        checkSize(state, result, "a result");
        JsonNode selected =
                io.resultSelector() == null ? result : JsonPaths.applyTemplate(io.resultSelector(), result, context);
        return JsonPaths.select(
                JsonPaths.withResult(rawInput, io.resultPath(), selected), io.outputPath(), "OutputPath");
    }

    /**
     * Retry, then Catch, as the States Language has them: the first retrier whose ErrorEquals
     * matches decides, each with its own attempt count; once it is spent, the first matching
     * catcher puts {@code {"Error","Cause"}} at its ResultPath and moves on to its Next.
     */
    private Step handlingErrors(
            List<Retrier> retriers, List<Catcher> catchers, JsonNode rawInput, Frame frame, Attempt attempt)
            throws StateFailure, InterruptedException {
        int[] attempts = new int[retriers.size()];
        while (true) {
            try {
                return attempt.run();
            } catch (StateFailure failure) {
                ensureRunning();
                execution.attemptFailed(frame);
                if (failure.terminal()) {
                    throw failure;
                }
                int index =
                        firstMatch(retriers.stream().map(Retrier::errorEquals).toList(), failure);
                if (index >= 0 && attempts[index] < retriers.get(index).maxAttempts()) {
                    Thread.sleep(delayMillis(retriers.get(index), attempts[index]++));
                    continue;
                }
                int caught =
                        firstMatch(catchers.stream().map(Catcher::errorEquals).toList(), failure);
                if (caught < 0) {
                    throw failure;
                }
                Catcher catcher = catchers.get(caught);
                ObjectNode error = JsonNodeFactory.instance.objectNode();
                error.put("Error", failure.error());
                if (failure.cause() != null) {
                    error.put("Cause", failure.cause());
                }
                return new Step(JsonPaths.withResult(rawInput, catcher.resultPath(), error), catcher.next());
            }
        }
    }

    private static int firstMatch(List<List<String>> errorEquals, StateFailure failure) {
        for (int i = 0; i < errorEquals.size(); i++) {
            if (errorEquals.get(i).stream().anyMatch(failure::matches)) {
                return i;
            }
        }
        return -1;
    }

    private static long delayMillis(Retrier retrier, int retriesSoFar) {
        double seconds = retrier.intervalSeconds() * Math.pow(retrier.backoffRate(), retriesSoFar);
        if (retrier.maxDelaySeconds() > 0) {
            seconds = Math.min(seconds, retrier.maxDelaySeconds());
        }
        if (retrier.fullJitter()) {
            seconds = ThreadLocalRandom.current().nextDouble() * seconds;
        }
        return (long) (seconds * 1000);
    }

    /** The context object, {@code $$}, of a state; tasks and Map iterations add Task and Map. */
    private ObjectNode context(String stateName) {
        ObjectNode context = JsonNodeFactory.instance.objectNode();
        ObjectNode executionNode = context.putObject("Execution");
        executionNode.put("Id", execution.arn);
        executionNode.put("Name", execution.name);
        executionNode.set("Input", execution.inputJson);
        context.putObject("State").put("Name", stateName);
        return context;
    }

    private void ensureRunning() throws InterruptedException {
        if (Thread.interrupted() || !execution.running()) {
            throw new InterruptedException("the execution has ended");
        }
    }

    /**
     * States.DataLimitExceeded, which nothing catches or retries, where Step Functions raises it: a
     * state's input after Parameters (or ItemSelector), a task's result, a state's output; each
     * bounded at 256 KiB of UTF-8.
     */
    private static void checkSize(String state, JsonNode data, String what) throws StateFailure {
        int size = Json.write(data).length;
        if (size > Limits.PAYLOAD_BYTES) {
            throw StateFailure.dataLimitExceeded("The state/task '" + state + "' has " + what + " of " + size
                    + " bytes, over the maximum of " + Limits.PAYLOAD_BYTES + " bytes of UTF-8.");
        }
    }
}
