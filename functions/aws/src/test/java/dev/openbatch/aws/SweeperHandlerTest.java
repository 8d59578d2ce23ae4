package dev.openbatch.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.pipeline.BatchRuns;
import dev.openbatch.core.pipeline.Sweep;
import dev.openbatch.core.pipeline.SweepIndex;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sweeper's doorway, fed the event an EventBridge schedule rule sends. */
class SweeperHandlerTest {

    @Test
    void aScheduledEvent_runsOneSweep_andAnswersWhatItDid() throws Exception {
        Batch crashed =
                Batch.validating("batch_crashed", "/v1/chat/completions", "file-in", "24h", 0, 86_400L, null, "job-a");
        List<String> started = new ArrayList<>();
        SweepIndex index = new SweepIndex() {
            @Override
            public List<Entry> due(String status, long sinceAtMost, int limit) {
                return status.equals(Batch.Status.VALIDATING)
                        ? List.of(new Entry("tenant-a", crashed, 0, 0, 0, 0))
                        : List.of();
            }

            @Override
            public boolean mark(Entry entry, Mark mark) {
                return true;
            }
        };
        BatchRuns runs = new BatchRuns() {
            @Override
            public State state(String batchId, int run) {
                return State.ABSENT;
            }

            @Override
            public void start(String tenant, String batchId, int run) {
                started.add(tenant + "/" + batchId + "#" + run);
            }

            @Override
            public void stop(String batchId, int run) {}
        };
        SweeperHandler handler = new SweeperHandler(new Sweep(
                index, runs, null, Sweep.Bounds.DEFAULT, Clock.fixed(Instant.ofEpochSecond(3600), ZoneOffset.UTC)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        handler.handleRequest(
                new ByteArrayInputStream(Files.readAllBytes(Path.of("../../events/eventbridge/scheduled-event.json"))),
                out,
                null);

        assertThat(started).containsExactly("tenant-a/batch_crashed#0");
        JsonNode report = Json.MAPPER.readTree(out.toByteArray());
        assertThat(report.get("looked").asInt()).isEqualTo(1);
        assertThat(report.get("started").asInt()).isEqualTo(1);
    }
}
