package dev.openbatch.core.report;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The AWS requests a run made for its chunk, counted where it makes them.
 *
 * @param s3Reads        GETs and HEADs (a read of an absent object included)
 * @param s3Writes       PUTs
 * @param dynamodbReads  reads of the batch's record
 * @param dynamodbWrites writes of the batch's record
 */
public record Calls(
        @JsonProperty("s3_reads") long s3Reads,
        @JsonProperty("s3_writes") long s3Writes,
        @JsonProperty("dynamodb_reads") long dynamodbReads,
        @JsonProperty("dynamodb_writes") long dynamodbWrites) {

    public static final Calls NONE = new Calls(0, 0, 0, 0);

    public Calls plus(Calls other) {
        return new Calls(
                s3Reads + other.s3Reads,
                s3Writes + other.s3Writes,
                dynamodbReads + other.dynamodbReads,
                dynamodbWrites + other.dynamodbWrites);
    }
}
