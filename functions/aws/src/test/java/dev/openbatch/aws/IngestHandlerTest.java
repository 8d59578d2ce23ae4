package dev.openbatch.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.ingest.DropNotice;
import dev.openbatch.core.ingest.Ingest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ingest handler fed the EventBridge event S3 sends, as AWS documents it. */
class IngestHandlerTest {

    private final List<DropNotice> received = new ArrayList<>();
    private final IngestHandler handler = new IngestHandler(notice -> {
        received.add(notice);
        return new Ingest.Outcome("created", "batch_x", "default", "results/job-local/requests/", null);
    });

    private static byte[] sample() throws IOException {
        return Files.readAllBytes(Path.of("../../events/eventbridge/object-created.json"));
    }

    private JsonNode handle(byte[] event) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        handler.handleRequest(new ByteArrayInputStream(event), out, null);
        return Json.MAPPER.readTree(out.toByteArray());
    }

    @Test
    void objectCreated_isSubmittedAsTheNoticeOfThatObjectVersion_andAnswersTheOutcome() throws IOException {
        JsonNode answer = handle(sample());

        assertThat(received)
                .containsExactly(new DropNotice(
                        "openbatch-ingest",
                        "incoming/job-local/requests.jsonl",
                        "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
                        "b1946ac92492d2347c6235b4d2611184",
                        5));
        assertThat(answer.get("outcome").asText()).isEqualTo("created");
        assertThat(answer.get("batch_id").asText()).isEqualTo("batch_x");
        assertThat(answer.has("reason")).isFalse();
    }

    @Test
    void anUnversionedBucketsEvent_hasNoVersion() throws IOException {
        ObjectNode event = (ObjectNode) Json.MAPPER.readTree(sample());
        ((ObjectNode) event.get("detail").get("object")).remove("version-id");

        handle(Json.write(event));

        assertThat(received.getFirst().versionId()).isNull();
        assertThat(received.getFirst().etag()).isEqualTo("b1946ac92492d2347c6235b4d2611184");
    }

    @Test
    void anotherKindOfEvent_isIgnored_withoutTouchingAnything() throws IOException {
        ObjectNode event = (ObjectNode) Json.MAPPER.readTree(sample());
        event.put("detail-type", "Object Deleted");

        JsonNode answer = handle(Json.write(event));

        assertThat(received).isEmpty();
        assertThat(answer.get("outcome").asText()).isEqualTo("ignored");
        assertThat(answer.get("reason").asText()).contains("Object Deleted");
    }

    @Test
    void settings_readTheIngestBucket_absentMeaningNoDrops() {
        Map<String, String> env = Map.of(
                "AWS_REGION",
                "eu-west-1",
                "OPENBATCH_BUCKET",
                "b",
                "OPENBATCH_FILES_TABLE",
                "f",
                "OPENBATCH_BATCHES_TABLE",
                "t",
                "OPENBATCH_JOBS",
                "{}");
        assertThat(Settings.fromEnvironment(env).ingestBucket()).isEmpty();
        Map<String, String> withDrops = new HashMap<>(env);
        withDrops.put("OPENBATCH_INGEST_BUCKET", "drops");
        assertThat(Settings.fromEnvironment(withDrops).ingestBucket()).contains("drops");
    }
}
