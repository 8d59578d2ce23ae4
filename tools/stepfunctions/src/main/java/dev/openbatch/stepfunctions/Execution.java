package dev.openbatch.stepfunctions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.Json;
import dev.openbatch.stepfunctions.LocalStepFunctions.ExecutionDescription;
import dev.openbatch.stepfunctions.LocalStepFunctions.ExecutionStatus;
import dev.openbatch.stepfunctions.LocalStepFunctions.HistoryEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One run of a state machine: what DescribeExecution reports, the thread that walks the states,
 * and where that walk stands ({@link Frame}s), recorded in its {@link ExecutionStore} at every step
 * so that a new process can go on from there. The first close wins: a stop or a timeout interrupts
 * the thread, and whatever the thread then finishes with is ignored. A suspended execution (its
 * process is stopping) records nothing more and ends nothing: it is still running, for the next
 * process to resume.
 */
final class Execution {

    final String arn;
    final String name;
    final String stateMachineArn;
    final String input;
    final JsonNode inputJson;
    final Instant startDate;

    private final String stateMachineName;
    private final ExecutionStore store;
    private final Frame root;
    private ExecutionStatus status = ExecutionStatus.RUNNING;
    private Instant stopDate;
    private String output;
    private String error;
    private String cause;
    private Thread thread;
    private boolean suspended;
    /** The events written since this process took the execution on; ids go on from those before. */
    private final List<HistoryEvent> history = new ArrayList<>();
    /** Every event the execution has written, those before a restart included. */
    private long historyEvents;

    private boolean historyFull;

    Execution(
            String arn,
            String name,
            String stateMachineArn,
            String stateMachineName,
            String input,
            JsonNode inputJson,
            ExecutionStore store) {
        this(arn, name, stateMachineArn, stateMachineName, input, inputJson, Instant.now(), new Frame(), store);
    }

    private Execution(
            String arn,
            String name,
            String stateMachineArn,
            String stateMachineName,
            String input,
            JsonNode inputJson,
            Instant startDate,
            Frame root,
            ExecutionStore store) {
        this.arn = arn;
        this.name = name;
        this.stateMachineArn = stateMachineArn;
        this.stateMachineName = stateMachineName;
        this.input = input;
        this.inputJson = inputJson;
        this.startDate = startDate;
        this.root = root;
        this.store = store;
    }

    /** An execution as {@link #record()} kept it. */
    static Execution restore(JsonNode kept, ExecutionStore store) {
        String input = kept.get("input").asText();
        JsonNode inputJson;
        try {
            inputJson = Json.MAPPER.readTree(input);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "the kept input of " + kept.get("execution_arn").asText() + " is not JSON", e);
        }
        Execution execution = new Execution(
                kept.get("execution_arn").asText(),
                kept.get("name").asText(),
                kept.get("state_machine_arn").asText(),
                kept.get("state_machine_name").asText(),
                input,
                inputJson,
                Instant.ofEpochMilli(kept.get("start_date").asLong()),
                Frame.fromJson(kept.get("progress")),
                store);
        execution.status = ExecutionStatus.valueOf(kept.get("status").asText());
        execution.stopDate = kept.hasNonNull("stop_date")
                ? Instant.ofEpochMilli(kept.get("stop_date").asLong())
                : null;
        execution.output = text(kept, "output");
        execution.error = text(kept, "error");
        execution.cause = text(kept, "cause");
        execution.historyEvents = kept.path("history_events").asLong();
        return execution;
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }

    Frame root() {
        return root;
    }

    synchronized void runOn(Thread thread) {
        this.thread = thread;
        thread.start();
    }

    synchronized boolean running() {
        return status == ExecutionStatus.RUNNING && !suspended;
    }

    /** Records the end; false if the execution had already ended, or its process is stopping. */
    synchronized boolean close(ExecutionStatus status, String output, String error, String cause) {
        if (this.status != ExecutionStatus.RUNNING || suspended) {
            return false;
        }
        this.status = status;
        this.stopDate = Instant.now();
        this.output = output;
        this.error = error;
        this.cause = cause;
        ObjectNode details = JsonNodeFactory.instance.objectNode();
        if (error != null) {
            details.put("error", error);
        }
        if (cause != null) {
            details.put("cause", cause);
        }
        switch (status) {
            case SUCCEEDED -> append(root, "ExecutionSucceeded", null, null);
            case FAILED -> append(root, "ExecutionFailed", "executionFailedEventDetails", details);
            case ABORTED -> append(root, "ExecutionAborted", "executionAbortedEventDetails", details);
            case TIMED_OUT -> append(root, "ExecutionTimedOut", "executionTimedOutEventDetails", details);
            case RUNNING -> throw new IllegalArgumentException("an execution cannot end RUNNING");
        }
        record();
        return true;
    }

    /**
     * Writes an event to the history, as Step Functions writes one for each step of a state, Map
     * iteration and attempt. The service fails an execution whose history reaches its quota with an
     * error that no Retry or Catch sees, and the failure takes the last id; so does this.
     *
     * @param frame   the walk the event belongs to, for its previousEventId
     * @param details the event's details, as {@code detailsField} of the event, or null
     * @throws StateFailure States.Runtime once the history is full
     */
    synchronized void event(Frame frame, String type, String detailsField, ObjectNode details) throws StateFailure {
        if (status != ExecutionStatus.RUNNING || suspended) {
            return;
        }
        if (historyFull || historyEvents + 1 >= Limits.HISTORY_EVENTS) {
            historyFull = true;
            throw StateFailure.runtime(Limits.HISTORY_FULL);
        }
        append(frame, type, detailsField, details);
    }

    private void append(Frame frame, String type, String detailsField, ObjectNode details) {
        long id = ++historyEvents;
        long previous = frame.lastEvent > 0 ? frame.lastEvent : id - 1;
        frame.lastEvent = id;
        history.add(new HistoryEvent(id, previous, Instant.now(), type, detailsField, details));
    }

    synchronized long historyEvents() {
        return historyEvents;
    }

    /** The events written in this process, oldest first. */
    synchronized List<HistoryEvent> history() {
        return List.copyOf(history);
    }

    /** Ends a running execution from outside (StopExecution, its TimeoutSeconds) and interrupts its work. */
    synchronized void stop(ExecutionStatus status, String error, String cause) {
        if (close(status, null, error, cause) && thread != null) {
            thread.interrupt();
        }
    }

    /** Stops the work where it stands, its process stopping: what was recorded stays, for the next one to resume. */
    synchronized void suspend() {
        if (status == ExecutionStatus.RUNNING && !suspended) {
            suspended = true;
            if (thread != null) {
                thread.interrupt();
            }
        }
    }

    synchronized Instant stopDate() {
        return stopDate;
    }

    synchronized ExecutionDescription describe() {
        return new ExecutionDescription(
                arn, stateMachineArn, name, status, startDate, stopDate, input, output, error, cause);
    }

    // Where the walk stands. Each change is recorded before the work it announces begins, so a new
    // process never skips work; at worst it repeats the step that was under way.

    /** The state a frame stands in and its input, if it has begun. */
    synchronized Optional<Map.Entry<String, JsonNode>> position(Frame frame) {
        return frame.state == null ? Optional.empty() : Optional.of(Map.entry(frame.state, frame.input));
    }

    synchronized void enter(Frame frame, String state, JsonNode input) {
        frame.state = state;
        frame.input = input;
        frame.clearWork();
        record();
    }

    synchronized String token(Frame frame) {
        return frame.token;
    }

    synchronized void awaitToken(Frame frame, String token) {
        frame.token = token;
        record();
    }

    /** The iterations of the Map a frame stands in that have ended, by index. */
    synchronized Map<Integer, JsonNode> finishedIterations(Frame frame) {
        return new TreeMap<>(frame.finished);
    }

    /** The frame of iteration {@code index}: the one under way before a restart, or a new one. */
    synchronized Frame iteration(Frame frame, int index) {
        return frame.running.computeIfAbsent(index, i -> new Frame());
    }

    synchronized void finishIteration(Frame frame, int index, JsonNode output) {
        frame.running.remove(index);
        frame.finished.put(index, output);
        record();
    }

    /** An attempt of the frame's state failed: a retry starts afresh. */
    synchronized void attemptFailed(Frame frame) {
        frame.clearWork();
        record();
    }

    /** Writes the execution as it stands, unless its process is stopping: what it does then is not to be trusted. */
    synchronized void record() {
        if (suspended || !store.keeps()) {
            return;
        }
        ObjectNode kept = JsonNodeFactory.instance.objectNode();
        kept.put("execution_arn", arn);
        kept.put("name", name);
        kept.put("state_machine_arn", stateMachineArn);
        kept.put("state_machine_name", stateMachineName);
        kept.put("input", input);
        kept.put("start_date", startDate.toEpochMilli());
        kept.put("status", status.name());
        if (stopDate != null) {
            kept.put("stop_date", stopDate.toEpochMilli());
        }
        kept.put("output", output);
        kept.put("error", error);
        kept.put("cause", cause);
        kept.put("history_events", historyEvents);
        if (status == ExecutionStatus.RUNNING) {
            kept.set("progress", root.toJson());
        }
        store.save(stateMachineName, name, kept);
    }
}
