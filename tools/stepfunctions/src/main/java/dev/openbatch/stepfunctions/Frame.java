package dev.openbatch.stepfunctions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where one walk through a scope stands — the whole machine's, or one Map iteration's — so that
 * an execution can go on from there when the local runtime starts again: the state being run and
 * its input; for a callback task, the token it waits on; for a Map, the outputs of the iterations
 * that ended and the frames of those under way. {@link Execution} owns every frame and changes
 * them under its lock.
 */
final class Frame {

    /** The state being run, or null before the first. */
    String state;
    /** That state's raw input. */
    JsonNode input;
    /** The token the callback task in this state waits on, once it has one. */
    String token;
    /** Map iterations that ended, by index: their outputs. */
    final Map<Integer, JsonNode> finished = new TreeMap<>();
    /** Map iterations under way, by index. */
    final Map<Integer, Frame> running = new TreeMap<>();
    /** The id of the last history event this walk wrote, for the next one's previousEventId; not kept. */
    long lastEvent;

    /** Forgets what the current state had done, as a new state, or a new attempt of the same one, begins. */
    void clearWork() {
        token = null;
        finished.clear();
        running.clear();
    }

    JsonNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        if (state == null) {
            return node;
        }
        node.put("state", state);
        node.set("input", input);
        if (token != null) {
            node.put("token", token);
        }
        if (!finished.isEmpty()) {
            ObjectNode ended = node.putObject("finished");
            finished.forEach((index, output) -> ended.set(Integer.toString(index), output));
        }
        if (!running.isEmpty()) {
            ObjectNode underWay = node.putObject("running");
            running.forEach((index, frame) -> underWay.set(Integer.toString(index), frame.toJson()));
        }
        return node;
    }

    static Frame fromJson(JsonNode node) {
        Frame frame = new Frame();
        if (node == null || !node.hasNonNull("state")) {
            return frame;
        }
        frame.state = node.get("state").asText();
        frame.input = node.get("input");
        frame.token = node.hasNonNull("token") ? node.get("token").asText() : null;
        for (Map.Entry<String, JsonNode> ended : node.path("finished").properties()) {
            frame.finished.put(Integer.parseInt(ended.getKey()), ended.getValue());
        }
        for (Map.Entry<String, JsonNode> underWay : node.path("running").properties()) {
            frame.running.put(Integer.parseInt(underWay.getKey()), fromJson(underWay.getValue()));
        }
        return frame;
    }
}
