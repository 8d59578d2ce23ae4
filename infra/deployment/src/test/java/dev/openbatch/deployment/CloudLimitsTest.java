package dev.openbatch.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.pipeline.Chunk;
import dev.openbatch.core.pipeline.ValidateBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each bound of {@link CloudLimits} at its edge: accepted at the bound, refused one past it, naming both. */
class CloudLimitsTest {

    private static DeploymentConfig parse(String fields) {
        return DeploymentConfig.parse(
                "{\"jobs\": {\"jobs\": [{\"id\": \"job-gpu\", \"base_url\": \"https://gpu/v1\"}]}, " + fields + "}");
    }

    @Test
    void chunkLines_atTheHistoryBound_isAccepted_andOneBelow_isRefusedNamingTheSettingAndTheBound() {
        int least = CloudLimits.minChunkLinesForHistory();

        assertThat(CloudLimits.historyEvents(CloudLimits.chunks(least)))
                .isLessThanOrEqualTo(CloudLimits.historyBudget());
        assertThat(CloudLimits.historyEvents(CloudLimits.chunks(least - 1))).isGreaterThan(CloudLimits.historyBudget());
        assertThat(parse("\"chunk_lines\": " + least).chunkLines()).isEqualTo(least);
        assertThatThrownBy(() -> parse("\"chunk_lines\": " + (least - 1)))
                .hasMessageStartingWith("chunk_lines " + (least - 1) + " would cut 50,000 lines into up to ")
                .hasMessageContaining("history events; Step Functions stops an execution at 25,000")
                .hasMessageEndingWith("chunk_lines must be at least " + least);
    }

    @Test
    void theHistoryBound_isTheTighterOne_soEveryAcceptedChunkListFitsInAState() {
        int leastForState = CloudLimits.minChunkLinesForState(CloudLimits.INLINE_MAP_CONCURRENCY);

        assertThat(CloudLimits.stateBytes(leastForState, 40)).isLessThanOrEqualTo(CloudLimits.STATE_BYTES);
        assertThat(CloudLimits.stateBytes(leastForState - 1, 40)).isGreaterThan(CloudLimits.STATE_BYTES);
        assertThat(CloudLimits.minChunkLinesForHistory()).isGreaterThanOrEqualTo(leastForState);
    }

    @Test
    void theStateEstimate_boundsTheStateAMapAndItsCatchReallyCarry() {
        int chunkLines = CloudLimits.minChunkLinesForHistory();
        List<Chunk> chunks = new ArrayList<>();
        for (int first = 1, index = 0; first <= CloudLimits.MAX_REQUESTS; first += chunkLines, index++) {
            chunks.add(new Chunk(index, first, Math.min(chunkLines, CloudLimits.MAX_REQUESTS - first + 1)));
        }
        // What MarkFailed receives after the Map's Catch: the execution's input, Validate's result, the error.
        String state = Json.writeString(Map.of(
                "batch_id",
                "batch_" + "0".repeat(32),
                "tenant",
                "t".repeat(128),
                "validation",
                new ValidateBatch.Outcome(true, chunks, 40, ValidateBatch.UNLIMITED_CHUNK_WAIT_SECONDS),
                "error",
                Map.of("Error", "E".repeat(256), "Cause", "c".repeat(32_768))));

        assertThat((long) state.length()).isLessThanOrEqualTo(CloudLimits.stateBytes(chunkLines, 40));
        assertThat(chunks.size()).isLessThanOrEqualTo(CloudLimits.chunks(chunkLines));
    }

    @Test
    void historyEvents_countEveryStateOnce_andEachMapIterationWithItsRetries() throws Exception {
        JsonNode definition = Json.MAPPER.readTree("""
                {"StartAt": "Validate", "States": {
                  "Validate": {"Type": "Task", "Resource": "r", "Retry": [{"ErrorEquals": ["a"], "MaxAttempts": 2},
                                                                          {"ErrorEquals": ["b"]}], "Next": "Is"},
                  "Is": {"Type": "Choice", "Choices": [{"Next": "Run"}], "Default": "Failed"},
                  "Run": {"Type": "Map", "ItemProcessor": {"StartAt": "One", "States": {
                           "One": {"Type": "Task", "Resource": "r", "Retry": [{"ErrorEquals": ["c"], "MaxAttempts": 1}],
                                   "End": true}}}, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], "End": true},
                  "Failed": {"Type": "Fail"}}}""");

        // execution 2; Validate 6 + 4 x (2 + 3) = 26; Is 2; Run 4 + n x (2 + 6 + 4 x 1); Failed 1
        assertThat(CloudLimits.historyEvents(definition, 0)).isEqualTo(2 + 26 + 2 + 4 + 1);
        assertThat(CloudLimits.historyEvents(definition, 100)).isEqualTo(2 + 26 + 2 + 4 + 100 * 12 + 1);
        // the project's definition: at least MapIterationStarted, the task's six and MapIterationSucceeded
        assertThat(CloudLimits.historyEvents(1) - CloudLimits.historyEvents(0)).isGreaterThanOrEqualTo(8);
    }

    @Test
    void aDefinitionWithALoop_hasNoBound_andIsNotCounted() throws Exception {
        JsonNode looping = Json.MAPPER.readTree("""
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                                            "B": {"Type": "Choice", "Choices": [{"Next": "A"}], "Default": "C"},
                                            "C": {"Type": "Succeed"}}}""");

        assertThatThrownBy(() -> CloudLimits.historyEvents(looping, 1)).hasMessageContaining("loops");
    }

    @Test
    void mapConcurrency_atAnInlineMapsMost_isAccepted_andOneMore_isRefused() {
        assertThat(parse("\"map_concurrency\": " + CloudLimits.INLINE_MAP_CONCURRENCY)
                        .mapConcurrency())
                .isEqualTo(40);
        assertThatThrownBy(() -> parse("\"map_concurrency\": " + (CloudLimits.INLINE_MAP_CONCURRENCY + 1)))
                .hasMessageStartingWith("map_concurrency 41")
                .hasMessageEndingWith("map_concurrency must be at most 40");
    }

    @Test
    void aRequestTimeout_whoseAttemptsFillTheWorker_isAccepted_andOneSecondMore_isRefused() {
        int longest = CloudLimits.longestRequestTimeout(900);

        assertThat(CloudLimits.requestSequenceSeconds(longest)).isLessThanOrEqualTo(900);
        assertThat(CloudLimits.requestSequenceSeconds(longest + 1)).isGreaterThan(900);
        assertThat(parse("\"worker\": {\"request_timeout_seconds\": " + longest + "}")
                        .worker()
                        .requestTimeoutSeconds())
                .isEqualTo(longest);
        assertThatThrownBy(() -> parse("\"worker\": {\"request_timeout_seconds\": " + (longest + 1) + "}"))
                .hasMessageStartingWith("worker.request_timeout_seconds " + (longest + 1)
                        + " does not fit in worker.timeout_seconds 900")
                .hasMessageEndingWith("worker.request_timeout_seconds must be at most " + longest);
    }

    @Test
    void theDefaultRequestTimeout_isTheLongestThatFits_inAShorterWorkerToo() {
        assertThat(parse("\"worker\": {}").worker().requestTimeoutSeconds())
                .isEqualTo(CloudLimits.longestRequestTimeout(900));
        assertThat(parse("\"worker\": {\"timeout_seconds\": 600}").worker().requestTimeoutSeconds())
                .isEqualTo(CloudLimits.longestRequestTimeout(600));
    }

    @Test
    void aWorkerTooShortForOneSecondRequests_isRefused_namingItsLeastTimeout() {
        int least = (int) CloudLimits.requestSequenceSeconds(1);

        assertThat(parse("\"worker\": {\"timeout_seconds\": " + least + "}")
                        .worker()
                        .requestTimeoutSeconds())
                .isEqualTo(1);
        assertThatThrownBy(() -> parse("\"worker\": {\"timeout_seconds\": " + (least - 1) + "}"))
                .hasMessageEndingWith("worker.timeout_seconds must be at least " + least);
    }

    @Test
    void theChunkQueue_hidesAMessageLongerThanAWorkerRuns_andKeepsItThroughEveryReceive() {
        int longest = CloudLimits.LAMBDA_TIMEOUT_SECONDS;

        assertThat(CloudLimits.chunkVisibilitySeconds(longest))
                .isGreaterThan(longest)
                .isLessThanOrEqualTo(CloudLimits.MAX_VISIBILITY_SECONDS);
        assertThat((long) CloudLimits.MAX_RECEIVES * CloudLimits.chunkVisibilitySeconds(longest))
                .isLessThanOrEqualTo(CloudLimits.RETENTION_SECONDS);
    }
}
