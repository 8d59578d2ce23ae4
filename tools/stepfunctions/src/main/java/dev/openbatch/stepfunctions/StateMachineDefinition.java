package dev.openbatch.stepfunctions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import dev.openbatch.stepfunctions.JsonPaths.Path;
import dev.openbatch.stepfunctions.State.Branch;
import dev.openbatch.stepfunctions.State.Catcher;
import dev.openbatch.stepfunctions.State.Io;
import dev.openbatch.stepfunctions.State.Resource;
import dev.openbatch.stepfunctions.State.Retrier;
import dev.openbatch.stepfunctions.State.Rule;
import dev.openbatch.stepfunctions.State.Scope;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A state machine definition in the subset of the Amazon States Language that local Step
 * Functions runs, parsed and validated whole before anything runs. Anything outside the subset
 * is refused with {@code InvalidDefinition} naming the construct and the state, so a definition
 * the cloud would run and local mode would not cannot slip through.
 *
 * <p>The subset: top level {@code Comment, StartAt, States, TimeoutSeconds}; states Task (Lambda
 * invoke, SQS send-and-wait-for-token), Map (INLINE), Choice (StringEquals, BooleanEquals,
 * NumericEquals, IsPresent, And, Or, Not), Pass, Succeed, Fail; reference paths {@code $.a.b}; no
 * intrinsic functions.
 */
public final class StateMachineDefinition {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");

    private static final Set<String> TOP_LEVEL = Set.of("Comment", "StartAt", "States", "TimeoutSeconds");
    private static final Map<String, Set<String>> FIELDS = Map.of(
            "Task",
                    Set.of(
                            "Type",
                            "Comment",
                            "Resource",
                            "Parameters",
                            "ResultSelector",
                            "ResultPath",
                            "OutputPath",
                            "InputPath",
                            "TimeoutSeconds",
                            "TimeoutSecondsPath",
                            "HeartbeatSeconds",
                            "Retry",
                            "Catch",
                            "Next",
                            "End"),
            "Map",
                    Set.of(
                            "Type",
                            "Comment",
                            "ItemsPath",
                            "ItemSelector",
                            "ItemProcessor",
                            "MaxConcurrency",
                            "MaxConcurrencyPath",
                            "ResultPath",
                            "ResultSelector",
                            "OutputPath",
                            "InputPath",
                            "Retry",
                            "Catch",
                            "Next",
                            "End"),
            "Choice", Set.of("Type", "Comment", "Choices", "Default", "InputPath", "OutputPath"),
            "Pass",
                    Set.of(
                            "Type",
                            "Comment",
                            "Result",
                            "Parameters",
                            "ResultPath",
                            "OutputPath",
                            "InputPath",
                            "Next",
                            "End"),
            "Succeed", Set.of("Type", "Comment", "InputPath", "OutputPath"),
            "Fail", Set.of("Type", "Comment", "Error", "Cause"));
    private static final Set<String> ITEM_PROCESSOR = Set.of("ProcessorConfig", "StartAt", "States");
    private static final Set<String> RETRIER =
            Set.of("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy");
    private static final Set<String> CATCHER = Set.of("ErrorEquals", "ResultPath", "Next");
    private static final Set<String> ERROR_NAMES =
            Set.of(StateFailure.ALL, StateFailure.TASK_FAILED, StateFailure.TIMEOUT, StateFailure.HEARTBEAT_TIMEOUT);
    private static final Map<Resource, Set<String>> TASK_PARAMETERS = Map.of(
            Resource.LAMBDA_INVOKE, Set.of("FunctionName", "Payload"),
            Resource.SQS_SEND_WAIT_FOR_TASK_TOKEN, Set.of("QueueUrl", "MessageBody"));
    private static final Map<String, Rule.Operator> OPERATORS = Map.of(
            "StringEquals", Rule.Operator.STRING_EQUALS,
            "BooleanEquals", Rule.Operator.BOOLEAN_EQUALS,
            "NumericEquals", Rule.Operator.NUMERIC_EQUALS,
            "IsPresent", Rule.Operator.IS_PRESENT);

    private final String text;
    private final Scope scope;
    private final int timeoutSeconds;
    private final Set<String> functionNames;

    private StateMachineDefinition(String text, Scope scope, int timeoutSeconds, Set<String> functionNames) {
        this.text = text;
        this.scope = scope;
        this.timeoutSeconds = timeoutSeconds;
        this.functionNames = functionNames;
    }

    /**
     * Replaces every {@code ${Name}} with its substitution, as CDK's {@code DefinitionBody.fromFile}
     * with {@code definitionSubstitutions} does, then parses and validates the result.
     *
     * @throws StepFunctionsException {@code InvalidDefinition}, naming the construct and the state
     */
    public static StateMachineDefinition parse(String definitionText, Map<String, String> substitutions) {
        String text = definitionText;
        for (Map.Entry<String, String> substitution : substitutions.entrySet()) {
            text = text.replace("${" + substitution.getKey() + "}", substitution.getValue());
        }
        Matcher leftover = PLACEHOLDER.matcher(text);
        if (leftover.find()) {
            throw StepFunctionsException.invalidDefinition("placeholder " + leftover.group()
                    + " has no substitution (given: " + new TreeSet<>(substitutions.keySet()) + ")");
        }
        JsonNode root;
        try {
            root = Json.MAPPER
                    .reader()
                    .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .readTree(text);
        } catch (JsonProcessingException e) {
            throw StepFunctionsException.invalidDefinition("not valid JSON: " + e.getOriginalMessage());
        }
        Parser.object(root, "the definition");
        Parser.fields(root, TOP_LEVEL, "the top level", "the top level of a definition");
        Parser parser = new Parser();
        Scope scope = parser.scope(root, "the top level");
        int timeout = Parser.integer(root, "TimeoutSeconds", "the top level", 1, 0);
        return new StateMachineDefinition(text, scope, timeout, Collections.unmodifiableSet(parser.functionNames));
    }

    /** The definition after substitution, as DescribeStateMachine returns it. */
    public String text() {
        return text;
    }

    Scope scope() {
        return scope;
    }

    /** The execution's TimeoutSeconds, 0 when absent. */
    int timeoutSeconds() {
        return timeoutSeconds;
    }

    /** The FunctionName of every Lambda task that names its function literally. */
    Set<String> functionNames() {
        return functionNames;
    }

    private static final class Parser {

        private final Set<String> stateNames = new HashSet<>();
        private final Set<String> functionNames = new LinkedHashSet<>();

        Scope scope(JsonNode node, String where) {
            String startAt = requiredText(node, "StartAt", where);
            JsonNode states = node.get("States");
            if (states == null || !states.isObject() || states.isEmpty()) {
                throw invalid(where, "States must be a non-empty object");
            }
            Map<String, State> parsed = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> entry : states.properties()) {
                String name = entry.getKey();
                if (!stateNames.add(name)) {
                    throw invalid("state '" + name + "'", "the name is used by another state; names must be unique");
                }
                parsed.put(name, state(name, entry.getValue()));
            }
            if (!parsed.containsKey(startAt)) {
                throw invalid(where, "StartAt '" + startAt + "' names no state in " + parsed.keySet());
            }
            for (State state : parsed.values()) {
                for (String next : transitions(state)) {
                    if (!parsed.containsKey(next)) {
                        throw invalid(
                                "state '" + state.name() + "'",
                                "Next '" + next + "' names no state in " + where + "; its states are "
                                        + parsed.keySet());
                    }
                }
            }
            Set<String> reached = reachable(startAt, parsed);
            for (String name : parsed.keySet()) {
                if (!reached.contains(name)) {
                    throw invalid("state '" + name + "'", "it is not reachable from StartAt '" + startAt + "'");
                }
            }
            return new Scope(startAt, Collections.unmodifiableMap(parsed));
        }

        private static Set<String> reachable(String startAt, Map<String, State> states) {
            Set<String> reached = new HashSet<>(List.of(startAt));
            Deque<String> pending = new ArrayDeque<>(reached);
            while (!pending.isEmpty()) {
                for (String next : transitions(states.get(pending.pop()))) {
                    if (reached.add(next)) {
                        pending.push(next);
                    }
                }
            }
            return reached;
        }

        private static List<String> transitions(State state) {
            return switch (state) {
                case State.Task t -> withCatchers(t.next(), t.catchers());
                case State.MapState m -> withCatchers(m.next(), m.catchers());
                case State.Pass p -> p.next() == null ? List.of() : List.of(p.next());
                case State.Choice c ->
                    Stream.concat(c.choices().stream().map(Branch::next), Stream.ofNullable(c.defaultNext()))
                            .toList();
                case State.Succeed s -> List.of();
                case State.Fail f -> List.of();
            };
        }

        private static List<String> withCatchers(String next, List<Catcher> catchers) {
            return Stream.concat(Stream.ofNullable(next), catchers.stream().map(Catcher::next))
                    .toList();
        }

        private State state(String name, JsonNode node) {
            String where = "state '" + name + "'";
            object(node, where);
            String type = requiredText(node, "Type", where);
            Set<String> allowed = FIELDS.get(type);
            if (allowed == null) {
                throw invalid(
                        where,
                        "Type '" + type + "' is not supported by local Step Functions; supported: "
                                + new TreeSet<>(FIELDS.keySet()));
            }
            fields(node, allowed, where, "a " + type + " state");
            return switch (type) {
                case "Task" -> task(name, node, where);
                case "Map" -> map(name, node, where);
                case "Choice" -> choice(name, node, where);
                case "Pass" -> pass(name, node, where);
                case "Succeed" ->
                    new State.Succeed(name, path(node, "InputPath", where), path(node, "OutputPath", where));
                case "Fail" ->
                    new State.Fail(name, optionalText(node, "Error", where), optionalText(node, "Cause", where));
                default -> throw new IllegalStateException(type);
            };
        }

        private State.Task task(String name, JsonNode node, String where) {
            String arn = requiredText(node, "Resource", where);
            Resource resource = Arrays.stream(Resource.values())
                    .filter(r -> r.arn.equals(arn))
                    .findFirst()
                    .orElseThrow(() -> invalid(
                            where,
                            "Resource '" + arn + "' is not supported by local Step Functions;" + " supported: "
                                    + Arrays.stream(Resource.values())
                                            .map(r -> r.arn)
                                            .toList()));
            JsonNode parameters = node.get("Parameters");
            if (parameters == null || !parameters.isObject()) {
                throw invalid(where, "Parameters must be an object for " + arn);
            }
            Set<String> known = TASK_PARAMETERS.get(resource);
            Set<String> given = new LinkedHashSet<>();
            for (String key : iterable(parameters.fieldNames())) {
                String plain = key.endsWith(".$") ? key.substring(0, key.length() - 2) : key;
                if (!known.contains(plain)) {
                    throw invalid(
                            where,
                            "Parameters field '" + key + "' is not supported for " + arn + "; supported: "
                                    + new TreeSet<>(known));
                }
                if (!given.add(plain)) {
                    throw invalid(where, "Parameters has both '" + plain + "' and '" + plain + ".$'");
                }
            }
            Set<String> required = resource == Resource.LAMBDA_INVOKE ? Set.of("FunctionName") : known;
            if (!given.containsAll(required)) {
                throw invalid(where, "Parameters must have " + new TreeSet<>(required) + " for " + arn);
            }
            Set<String> context = new HashSet<>(JsonPaths.EXECUTION_CONTEXT);
            if (resource == Resource.SQS_SEND_WAIT_FOR_TASK_TOKEN) {
                context.add(JsonPaths.TASK_TOKEN);
            }
            template(parameters, context, where, "Parameters");
            if (parameters.path("FunctionName").isTextual()) {
                functionNames.add(parameters.get("FunctionName").asText());
            }
            int timeout = integer(node, "TimeoutSeconds", where, 1, 0);
            if (node.has("TimeoutSeconds") && node.has("TimeoutSecondsPath")) {
                throw invalid(where, "TimeoutSeconds and TimeoutSecondsPath are exclusive");
            }
            Path timeoutPath = node.has("TimeoutSecondsPath") ? referencePath(node, "TimeoutSecondsPath", where) : null;
            int heartbeat = integer(node, "HeartbeatSeconds", where, 1, 0);
            if (heartbeat > 0 && resource != Resource.SQS_SEND_WAIT_FOR_TASK_TOKEN) {
                throw invalid(
                        where, "HeartbeatSeconds is supported only with " + Resource.SQS_SEND_WAIT_FOR_TASK_TOKEN.arn);
            }
            if (heartbeat > 0 && timeout > 0 && heartbeat >= timeout) {
                throw invalid(where, "HeartbeatSeconds must be smaller than TimeoutSeconds");
            }
            return new State.Task(
                    name,
                    resource,
                    io(node, where, parameters),
                    timeout,
                    timeoutPath,
                    heartbeat,
                    retriers(node, where),
                    catchers(node, where),
                    next(node, where));
        }

        private State.MapState map(String name, JsonNode node, String where) {
            JsonNode processor = node.get("ItemProcessor");
            if (processor == null || !processor.isObject()) {
                throw invalid(where, "a Map state needs an ItemProcessor object");
            }
            fields(processor, ITEM_PROCESSOR, where, "a Map's ItemProcessor");
            JsonNode config = processor.get("ProcessorConfig");
            if (config != null) {
                object(config, where + " ItemProcessor.ProcessorConfig");
                fields(config, Set.of("Mode"), where, "a Map's ProcessorConfig");
                String mode = optionalText(config, "Mode", where);
                if (mode != null && !mode.equals("INLINE")) {
                    throw invalid(
                            where,
                            "Map ItemProcessor.ProcessorConfig.Mode '" + mode
                                    + "' is not supported by local Step Functions; only INLINE");
                }
            }
            Scope scope = scope(processor, "the ItemProcessor of " + where);
            JsonNode itemSelector = node.get("ItemSelector");
            if (itemSelector != null) {
                Set<String> context = new HashSet<>(JsonPaths.EXECUTION_CONTEXT);
                context.addAll(List.of(JsonPaths.MAP_ITEM_INDEX, JsonPaths.MAP_ITEM_VALUE));
                template(itemSelector, context, where, "ItemSelector");
            }
            if (node.has("MaxConcurrency") && node.has("MaxConcurrencyPath")) {
                throw invalid(where, "MaxConcurrency and MaxConcurrencyPath are exclusive");
            }
            Path itemsPath = node.has("ItemsPath") ? referencePath(node, "ItemsPath", where) : Path.ROOT;
            Path maxConcurrencyPath =
                    node.has("MaxConcurrencyPath") ? referencePath(node, "MaxConcurrencyPath", where) : null;
            int maxConcurrency = integer(node, "MaxConcurrency", where, 0, 0);
            if (maxConcurrency > Limits.INLINE_MAP_CONCURRENCY) {
                throw invalid(where, Limits.inlineMapConcurrency("MaxConcurrency", maxConcurrency));
            }
            return new State.MapState(
                    name,
                    io(node, where, null),
                    itemsPath,
                    itemSelector,
                    scope,
                    maxConcurrency,
                    maxConcurrencyPath,
                    retriers(node, where),
                    catchers(node, where),
                    next(node, where));
        }

        private State.Pass pass(String name, JsonNode node, String where) {
            JsonNode parameters = node.get("Parameters");
            if (parameters != null && node.has("Result")) {
                throw invalid(where, "a Pass state takes Result or Parameters, not both");
            }
            if (parameters != null) {
                template(parameters, JsonPaths.EXECUTION_CONTEXT, where, "Parameters");
            }
            return new State.Pass(name, io(node, where, parameters), node.get("Result"), next(node, where));
        }

        private State.Choice choice(String name, JsonNode node, String where) {
            JsonNode choices = node.get("Choices");
            if (choices == null || !choices.isArray() || choices.isEmpty()) {
                throw invalid(where, "Choices must be a non-empty array");
            }
            List<Branch> branches = new ArrayList<>();
            for (JsonNode choice : choices) {
                branches.add(
                        new Branch(rule(choice, true, where), requiredText(choice, "Next", where + " choice rule")));
            }
            return new State.Choice(
                    name,
                    path(node, "InputPath", where),
                    path(node, "OutputPath", where),
                    List.copyOf(branches),
                    optionalText(node, "Default", where));
        }

        private Rule rule(JsonNode node, boolean top, String where) {
            object(node, where + " choice rule");
            Set<String> keys = new LinkedHashSet<>();
            node.fieldNames().forEachRemaining(keys::add);
            if (top != keys.remove("Next")) {
                throw invalid(
                        where, top ? "a top-level choice rule needs Next" : "a nested choice rule cannot have Next");
            }
            for (String combinator : List.of("And", "Or", "Not")) {
                if (!keys.contains(combinator)) {
                    continue;
                }
                if (keys.size() != 1) {
                    throw invalid(
                            where, "a choice rule with " + combinator + " can have no other operator; has " + keys);
                }
                JsonNode value = node.get(combinator);
                if (combinator.equals("Not")) {
                    return new Rule.Not(rule(value, false, where));
                }
                if (!value.isArray() || value.isEmpty()) {
                    throw invalid(where, combinator + " must be a non-empty array of choice rules");
                }
                List<Rule> rules = new ArrayList<>();
                value.forEach(element -> rules.add(rule(element, false, where)));
                return combinator.equals("And") ? new Rule.And(List.copyOf(rules)) : new Rule.Or(List.copyOf(rules));
            }
            if (!keys.remove("Variable")) {
                throw invalid(where, "a choice rule needs Variable, or one of And, Or, Not; has " + keys);
            }
            Path variable = referencePath(node, "Variable", where);
            if (keys.size() != 1 || !OPERATORS.containsKey(keys.iterator().next())) {
                throw invalid(
                        where,
                        "a choice rule needs exactly one operator of " + new TreeSet<>(OPERATORS.keySet())
                                + " (And, Or, Not to combine); has " + keys
                                + "; no other operator is supported by local Step Functions");
            }
            String operatorName = keys.iterator().next();
            Rule.Operator operator = OPERATORS.get(operatorName);
            JsonNode value = node.get(operatorName);
            boolean typed = switch (operator) {
                case STRING_EQUALS -> value.isTextual();
                case NUMERIC_EQUALS -> value.isNumber();
                case BOOLEAN_EQUALS, IS_PRESENT -> value.isBoolean();
            };
            if (!typed) {
                throw invalid(where, operatorName + " has a value of the wrong type: " + value);
            }
            return new Rule.Compare(variable, operator, value);
        }

        private Io io(JsonNode node, String where, JsonNode parameters) {
            JsonNode resultSelector = node.get("ResultSelector");
            if (resultSelector != null) {
                template(resultSelector, JsonPaths.EXECUTION_CONTEXT, where, "ResultSelector");
            }
            return new Io(
                    path(node, "InputPath", where),
                    parameters,
                    resultSelector,
                    path(node, "ResultPath", where),
                    path(node, "OutputPath", where));
        }

        private List<Retrier> retriers(JsonNode node, String where) {
            List<Retrier> retriers = new ArrayList<>();
            for (JsonNode retrier : array(node, "Retry", where)) {
                String at = where + " Retry[" + retriers.size() + "]";
                object(retrier, at);
                fields(retrier, RETRIER, at, "a Retry entry");
                String jitter = optionalText(retrier, "JitterStrategy", at);
                if (jitter != null && !jitter.equals("FULL") && !jitter.equals("NONE")) {
                    throw invalid(at, "JitterStrategy must be FULL or NONE, not '" + jitter + "'");
                }
                JsonNode backoff = retrier.get("BackoffRate");
                if (backoff != null && (!backoff.isNumber() || backoff.asDouble() < 1.0)) {
                    throw invalid(at, "BackoffRate must be a number of at least 1.0, not " + backoff);
                }
                retriers.add(new Retrier(
                        errorEquals(retrier, at),
                        integer(retrier, "IntervalSeconds", at, 1, 1),
                        integer(retrier, "MaxAttempts", at, 0, 3),
                        backoff == null ? 2.0 : backoff.asDouble(),
                        integer(retrier, "MaxDelaySeconds", at, 1, 0),
                        "FULL".equals(jitter)));
            }
            allLast(retriers.stream().map(Retrier::errorEquals).toList(), where, "Retry");
            return List.copyOf(retriers);
        }

        private List<Catcher> catchers(JsonNode node, String where) {
            List<Catcher> catchers = new ArrayList<>();
            for (JsonNode catcher : array(node, "Catch", where)) {
                String at = where + " Catch[" + catchers.size() + "]";
                object(catcher, at);
                fields(catcher, CATCHER, at, "a Catch entry");
                catchers.add(new Catcher(
                        errorEquals(catcher, at), path(catcher, "ResultPath", at), requiredText(catcher, "Next", at)));
            }
            allLast(catchers.stream().map(Catcher::errorEquals).toList(), where, "Catch");
            return List.copyOf(catchers);
        }

        private static List<String> errorEquals(JsonNode node, String where) {
            JsonNode names = node.get("ErrorEquals");
            if (names == null || !names.isArray() || names.isEmpty()) {
                throw invalid(where, "ErrorEquals must be a non-empty array of error names");
            }
            List<String> errors = new ArrayList<>();
            for (JsonNode name : names) {
                if (!name.isTextual()) {
                    throw invalid(where, "ErrorEquals holds a non-string " + name);
                }
                if (name.asText().startsWith("States.") && !ERROR_NAMES.contains(name.asText())) {
                    throw invalid(
                            where,
                            "error name '" + name.asText() + "' is not supported by local Step Functions;"
                                    + " supported: " + new TreeSet<>(ERROR_NAMES) + " and a task's own error names");
                }
                errors.add(name.asText());
            }
            if (errors.contains(StateFailure.ALL) && errors.size() != 1) {
                throw invalid(where, "States.ALL must appear alone in ErrorEquals");
            }
            return List.copyOf(errors);
        }

        private static void allLast(List<List<String>> errorEquals, String where, String field) {
            for (int i = 0; i < errorEquals.size() - 1; i++) {
                if (errorEquals.get(i).contains(StateFailure.ALL)) {
                    throw invalid(where, "States.ALL must be in the last entry of " + field);
                }
            }
        }

        private static String next(JsonNode node, String where) {
            JsonNode end = node.get("End");
            if (end != null && node.has("Next")) {
                throw invalid(where, "has both Next and End");
            }
            if (end != null) {
                if (!end.isBoolean() || !end.asBoolean()) {
                    throw invalid(where, "End must be true");
                }
                return null;
            }
            if (!node.has("Next")) {
                throw invalid(where, "needs Next or \"End\": true");
            }
            return requiredText(node, "Next", where);
        }

        private static void template(JsonNode template, Set<String> context, String where, String field) {
            if (!template.isObject()) {
                throw invalid(where, field + " must be an object");
            }
            try {
                JsonPaths.validateTemplate(template, context);
            } catch (IllegalArgumentException e) {
                throw invalid(where, field + " " + e.getMessage());
            }
        }

        /** An optional path field: ROOT when absent, Java null for JSON null. */
        private static Path path(JsonNode node, String field, String where) {
            JsonNode value = node.get(field);
            if (value == null) {
                return Path.ROOT;
            }
            return value.isNull() ? null : referencePath(node, field, where);
        }

        private static Path referencePath(JsonNode node, String field, String where) {
            JsonNode value = node.get(field);
            if (!value.isTextual()) {
                throw invalid(where, field + " must be a path string, not " + value);
            }
            try {
                return Path.parseReference(value.asText());
            } catch (IllegalArgumentException e) {
                throw invalid(where, field + " " + e.getMessage());
            }
        }

        static void object(JsonNode node, String where) {
            if (!node.isObject()) {
                throw invalid(where, "must be a JSON object, not " + node.getNodeType());
            }
        }

        static void fields(JsonNode node, Set<String> allowed, String where, String construct) {
            for (String field : iterable(node.fieldNames())) {
                if (!allowed.contains(field)) {
                    throw invalid(
                            where,
                            "field '" + field + "' in " + construct
                                    + " is not supported by local Step Functions; supported: "
                                    + new TreeSet<>(allowed));
                }
            }
        }

        static int integer(JsonNode node, String field, String where, int min, int absent) {
            JsonNode value = node.get(field);
            if (value == null) {
                return absent;
            }
            if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < min) {
                throw invalid(where, field + " must be an integer of at least " + min + ", not " + value);
            }
            return value.asInt();
        }

        private static List<JsonNode> array(JsonNode node, String field, String where) {
            JsonNode value = node.get(field);
            if (value == null) {
                return List.of();
            }
            if (!value.isArray()) {
                throw invalid(where, field + " must be an array");
            }
            List<JsonNode> elements = new ArrayList<>();
            value.forEach(elements::add);
            return elements;
        }

        private static String requiredText(JsonNode node, String field, String where) {
            String text = optionalText(node, field, where);
            if (text == null) {
                throw invalid(where, "missing " + field);
            }
            return text;
        }

        private static String optionalText(JsonNode node, String field, String where) {
            JsonNode value = node.get(field);
            if (value == null) {
                return null;
            }
            if (!value.isTextual()) {
                throw invalid(where, field + " must be a string, not " + value);
            }
            return value.asText();
        }

        private static <T> Iterable<T> iterable(Iterator<T> iterator) {
            return () -> iterator;
        }

        private static StepFunctionsException invalid(String where, String detail) {
            return StepFunctionsException.invalidDefinition(where + ": " + detail);
        }
    }
}
