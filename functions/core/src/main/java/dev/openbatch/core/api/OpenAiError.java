package dev.openbatch.core.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * OpenAI's error envelope: {@code {"error": {"message", "type", "param", "code"}}}.
 * {@code param} and {@code code} are present, as null, when they do not apply.
 */
public record OpenAiError(@JsonProperty("error") Detail error) {

    /**
     * @param message what went wrong, for a person
     * @param type    the class of error: {@code invalid_request_error}, {@code server_error}, ...
     * @param param   the request parameter at fault, if one is
     * @param code    a machine-readable code, if one applies
     */
    public record Detail(
            @JsonProperty("message") String message,
            @JsonProperty("type") String type,
            @JsonProperty("param") String param,
            @JsonProperty("code") String code) {}
}
