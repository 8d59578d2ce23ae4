package dev.openbatch.cdk;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads the IAM statements out of a synthesized template: every identity policy and every resource
 * policy, and, per role, what it allows as {@code "action on resource"} lines in which a resource
 * of the stack reads as its construct id ({@code DataBucket.Arn/files/*}).
 */
final class Iam {

    /** One statement, with where it came from. */
    record Statement(String source, Map<String, Object> body) {

        String effect() {
            return (String) body.get("Effect");
        }

        List<String> actions() {
            return strings(body.get("Action"));
        }

        List<Object> resources() {
            Object resource = body.get("Resource");
            return resource == null
                    ? List.of()
                    : resource instanceof List<?> list ? List.copyOf(list) : List.of(resource);
        }

        boolean hasCondition() {
            return body.containsKey("Condition");
        }
    }

    /** CDK appends eight hex digits of a hash to a construct path's logical id. */
    private static final Pattern LOGICAL_ID_HASH = Pattern.compile("[0-9A-F]{8}$");

    private final Map<String, Map<String, Object>> resources;

    @SuppressWarnings("unchecked")
    Iam(Map<String, Object> template) {
        this.resources = (Map<String, Map<String, Object>>) template.get("Resources");
    }

    /** Every statement of every policy in the template: identity policies, roles' trust, resource policies. */
    List<Statement> allStatements() {
        List<Statement> all = new ArrayList<>();
        resources.forEach((id, resource) -> {
            Map<String, Object> properties = properties(resource);
            for (String document : new String[] {"PolicyDocument", "KeyPolicy", "AssumeRolePolicyDocument"}) {
                if (properties.get(document) instanceof Map<?, ?> policy) {
                    statements(policy).forEach(s -> all.add(new Statement(id + "." + document, s)));
                }
            }
            if (properties.get("Policies") instanceof List<?> inline) {
                for (Object policy : inline) {
                    Object document = ((Map<?, ?>) policy).get("PolicyDocument");
                    statements((Map<?, ?>) document).forEach(s -> all.add(new Statement(id + ".Policies", s)));
                }
            }
        });
        return all;
    }

    /** The logical id of the role of the function whose handler is this class of dev.openbatch.aws. */
    String roleOfFunction(String handlerClass) {
        String handler = "dev.openbatch.aws." + handlerClass + "::handleRequest";
        return resources.values().stream()
                .filter(r -> "AWS::Lambda::Function".equals(r.get("Type"))
                        && handler.equals(properties(r).get("Handler")))
                .map(r -> (String) ((List<?>) ((Map<?, ?>) properties(r).get("Role")).get("Fn::GetAtt")).get(0))
                .reduce((a, b) -> {
                    throw new AssertionError("two functions run " + handler);
                })
                .orElseThrow(() -> new AssertionError("no function runs " + handler));
    }

    /** The logical id of the state machine's role. */
    String roleOfStateMachine() {
        return resources.values().stream()
                .filter(r -> "AWS::StepFunctions::StateMachine".equals(r.get("Type")))
                .map(r -> (String) ((List<?>) ((Map<?, ?>) properties(r).get("RoleArn")).get("Fn::GetAtt")).get(0))
                .findFirst()
                .orElseThrow();
    }

    /** The identity statements attached to a role, by the policies that name it. */
    List<Statement> statementsOf(String roleId) {
        List<Statement> attached = new ArrayList<>();
        resources.forEach((id, resource) -> {
            if ("AWS::IAM::Policy".equals(resource.get("Type"))
                    && ((List<?>) properties(resource).get("Roles")).contains(Map.of("Ref", roleId))) {
                statements((Map<?, ?>) properties(resource).get("PolicyDocument"))
                        .forEach(s -> attached.add(new Statement(id, s)));
            }
        });
        return attached;
    }

    /**
     * What a role may do, one {@code "action on resource"} line per pair, with {@code " if <condition>"}
     * where the statement has one. Every statement must allow.
     */
    Set<String> allowedTo(String roleId) {
        Set<String> lines = new TreeSet<>();
        for (Statement statement : statementsOf(roleId)) {
            if (!"Allow".equals(statement.effect())) {
                throw new AssertionError("a role's policy that does not allow: " + statement);
            }
            String condition =
                    statement.hasCondition() ? " if " + statement.body().get("Condition") : "";
            for (String action : statement.actions()) {
                for (Object resource : statement.resources()) {
                    lines.add(action + " on " + describe(resource) + condition);
                }
            }
        }
        return lines;
    }

    /** A resource of a statement, readable: logical ids lose their hash, intrinsics their braces. */
    static String describe(Object resource) {
        if (resource instanceof String text) {
            return text;
        }
        Map<?, ?> intrinsic = (Map<?, ?>) resource;
        if (intrinsic.containsKey("Ref")) {
            return logicalName((String) intrinsic.get("Ref"));
        }
        if (intrinsic.containsKey("Fn::GetAtt")) {
            List<?> getAtt = (List<?>) intrinsic.get("Fn::GetAtt");
            return logicalName((String) getAtt.get(0)) + "." + getAtt.get(1);
        }
        if (intrinsic.containsKey("Fn::Join")) {
            List<?> join = (List<?>) intrinsic.get("Fn::Join");
            StringBuilder joined = new StringBuilder();
            for (Object part : (List<?>) join.get(1)) {
                if (joined.length() > 0) {
                    joined.append(join.get(0));
                }
                joined.append(describe(part));
            }
            return joined.toString();
        }
        throw new AssertionError("an intrinsic the test does not read: " + resource);
    }

    private static String logicalName(String logicalId) {
        return logicalId.startsWith("AWS::")
                ? logicalId
                : LOGICAL_ID_HASH.matcher(logicalId).replaceFirst("");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> properties(Map<String, Object> resource) {
        Object properties = resource.get("Properties");
        return properties == null ? Map.of() : (Map<String, Object>) properties;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> statements(Map<?, ?> policy) {
        Object statement = policy.get("Statement");
        return statement instanceof List<?> list
                ? (List<Map<String, Object>>) list
                : List.of((Map<String, Object>) statement);
    }

    private static List<String> strings(Object value) {
        if (value == null) {
            return List.of();
        }
        return value instanceof List<?> list
                ? list.stream().map(String.class::cast).toList()
                : List.of((String) value);
    }
}
