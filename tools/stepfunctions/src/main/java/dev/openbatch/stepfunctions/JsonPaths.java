package dev.openbatch.stepfunctions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The JSONPath of the subset: reference paths {@code $} and {@code $.a.b}, context paths
 * {@code $$.Execution.Id} and the like, and payload templates whose {@code .$} keys take one of
 * them. No indexes, wildcards, filters or intrinsic functions.
 */
final class JsonPaths {

    /** The context paths a template may read anywhere. */
    static final Set<String> EXECUTION_CONTEXT =
            Set.of("Execution.Id", "Execution.Name", "Execution.Input", "State.Name");

    static final String TASK_TOKEN = "Task.Token";
    static final String MAP_ITEM_INDEX = "Map.Item.Index";
    static final String MAP_ITEM_VALUE = "Map.Item.Value";

    /** Context values that are whole JSON documents, so a path may go on into them. */
    private static final Set<String> DOCUMENTS = Set.of("Execution.Input", MAP_ITEM_VALUE);

    private static final Pattern FIELD = Pattern.compile("[A-Za-z0-9_-]+");

    /** A parsed path: {@code $.a.b} has fields [a, b]; {@code $$.State.Name} is a context path. */
    record Path(String text, boolean context, List<String> fields) {

        static final Path ROOT = new Path("$", false, List.of());

        /** @throws IllegalArgumentException naming what is wrong, for a definition error */
        static Path parse(String text) {
            boolean context = text.startsWith("$$");
            String rest = text.substring(context ? 2 : text.startsWith("$") ? 1 : 0);
            if (!text.startsWith("$") || !(rest.isEmpty() || rest.startsWith("."))) {
                throw new IllegalArgumentException("'" + text + "' is not a path of the form $ or $.field.field");
            }
            List<String> fields =
                    rest.isEmpty() ? List.of() : List.of(rest.substring(1).split("\\.", -1));
            for (String field : fields) {
                if (!FIELD.matcher(field).matches()) {
                    throw new IllegalArgumentException("path '" + text + "' is not supported: only $ and $.field.field"
                            + " (letters, digits, _ and -), without indexes, wildcards or filters");
                }
            }
            return new Path(text, context, fields);
        }

        /** A path into the state's data: {@code $} or {@code $.a.b}, never the context. */
        static Path parseReference(String text) {
            Path path = parse(text);
            if (path.context) {
                throw new IllegalArgumentException(
                        "'" + text + "' must be a reference path into the state's data, not $$");
            }
            return path;
        }

        Optional<JsonNode> read(JsonNode root) {
            JsonNode node = root;
            for (String field : fields) {
                node = node.isObject() ? node.get(field) : null;
                if (node == null) {
                    return Optional.empty();
                }
            }
            return Optional.of(node);
        }
    }

    private JsonPaths() {}

    /**
     * InputPath and OutputPath: the part of {@code data} the path selects, {@code {}} for a JSON
     * null path (Java null), and States.Runtime when the path finds nothing, as in the cloud.
     */
    static JsonNode select(JsonNode data, Path path, String field) throws StateFailure {
        if (path == null) {
            return JsonNodeFactory.instance.objectNode();
        }
        return path.read(data)
                .orElseThrow(() -> StateFailure.runtime(
                        "Invalid path '" + path.text() + "' for " + field + ": no results in " + abbreviate(data)));
    }

    /**
     * ResultPath: the state's raw input with {@code result} put where the path points, creating
     * missing objects on the way; the raw input unchanged for a JSON null path (Java null).
     */
    static JsonNode withResult(JsonNode rawInput, Path resultPath, JsonNode result) throws StateFailure {
        if (resultPath == null) {
            return rawInput;
        }
        if (resultPath.fields().isEmpty()) {
            return result;
        }
        if (!rawInput.isObject()) {
            throw StateFailure.runtime("ResultPath '" + resultPath.text()
                    + "' cannot be applied to the non-object input " + abbreviate(rawInput));
        }
        ObjectNode root = ((ObjectNode) rawInput).deepCopy();
        ObjectNode node = root;
        List<String> fields = resultPath.fields();
        for (String field : fields.subList(0, fields.size() - 1)) {
            JsonNode child = node.get(field);
            if (child == null) {
                child = node.putObject(field);
            } else if (!child.isObject()) {
                throw StateFailure.runtime("ResultPath '" + resultPath.text() + "' cannot be applied: '" + field
                        + "' is not an object in " + abbreviate(rawInput));
            }
            node = (ObjectNode) child;
        }
        node.set(fields.getLast(), result);
        return root;
    }

    /**
     * Checks a payload template (Parameters, ItemSelector, ResultSelector): every {@code .$} key
     * takes a reference path or one of the {@code allowedContext} paths.
     *
     * @throws IllegalArgumentException naming the offending key
     */
    static void validateTemplate(JsonNode template, Set<String> allowedContext) {
        if (template.isArray()) {
            template.forEach(element -> validateTemplate(element, allowedContext));
        }
        if (!template.isObject()) {
            return;
        }
        for (Map.Entry<String, JsonNode> field : template.properties()) {
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (!key.endsWith(".$")) {
                validateTemplate(value, allowedContext);
                continue;
            }
            if (!value.isTextual()) {
                throw new IllegalArgumentException("'" + key + "' must be a path string, not " + value);
            }
            String text = value.asText();
            if (text.startsWith("States.")) {
                throw new IllegalArgumentException("'" + key + "': intrinsic function " + text
                        + " is not supported by local Step Functions; only paths ($.field, $$.Execution.Id, ...)");
            }
            Path path = Path.parse(text);
            if (path.context() && !contextAllowed(path, allowedContext)) {
                throw new IllegalArgumentException("'" + key + "': context path " + text + " is not supported here;"
                        + " allowed: "
                        + allowedContext.stream().sorted().map(p -> "$$." + p).toList());
            }
        }
    }

    private static boolean contextAllowed(Path path, Set<String> allowed) {
        String joined = String.join(".", path.fields());
        return allowed.contains(joined)
                || DOCUMENTS.stream().anyMatch(doc -> allowed.contains(doc) && joined.startsWith(doc + "."));
    }

    /** Evaluates a validated payload template against the state's data and the context object. */
    static JsonNode applyTemplate(JsonNode template, JsonNode data, JsonNode context) throws StateFailure {
        if (template.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            for (JsonNode element : template) {
                out.add(applyTemplate(element, data, context));
            }
            return out;
        }
        if (!template.isObject()) {
            return template.deepCopy();
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, JsonNode> field : template.properties()) {
            String key = field.getKey();
            if (!key.endsWith(".$")) {
                out.set(key, applyTemplate(field.getValue(), data, context));
                continue;
            }
            Path path = Path.parse(field.getValue().asText());
            JsonNode source = path.context() ? context : data;
            JsonNode value = path.read(source)
                    .orElseThrow(
                            () -> StateFailure.runtime("The JSONPath '" + path.text() + "' specified for the field '"
                                    + key + "' could not be found in the input " + abbreviate(source)));
            out.set(key.substring(0, key.length() - 2), value.deepCopy());
        }
        return out;
    }

    private static String abbreviate(JsonNode node) {
        String text = node.toString();
        return text.length() <= 200 ? "'" + text + "'" : "'" + text.substring(0, 200) + "...'";
    }
}
