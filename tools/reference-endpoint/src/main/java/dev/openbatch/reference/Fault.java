package dev.openbatch.reference;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/** A way the reference endpoint can misbehave on purpose, as GPU servers and the networks before them do. */
public enum Fault {
    /** A 500 in OpenAI's error envelope. */
    ERROR_500("error_500"),
    /** A 503 in OpenAI's error envelope, as an overloaded server answers. */
    ERROR_503("error_503"),
    /** A 429 in OpenAI's error envelope, {@link Options#retryAfter429()} of them with {@code Retry-After: 1}. */
    ERROR_429("error_429"),
    /** The request is held for {@link Options#timeoutHold()} before a normal answer; the client should give up first. */
    TIMEOUT("timeout"),
    /** The connection is closed without any response. */
    CONNECTION_RESET("connection_reset"),
    /** A 200 whose Content-Length promises more bytes than are sent before the connection closes. */
    TRUNCATED_BODY("truncated_body"),
    /** A 200 with an HTML body, as a proxy in front of a dead server answers. */
    NON_JSON_BODY("non_json_body");

    private final String wireName;

    Fault(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in {@code GET /stats}, and in the model {@code fault-<name>} that always gets this fault. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    public static Optional<Fault> byWireName(String name) {
        return Arrays.stream(values()).filter(f -> f.wireName.equals(name)).findFirst();
    }
}
