package dev.openbatch.core.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.http.ApiResponse;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Reads API responses in tests. */
public final class Responses {

    private Responses() {}

    public static JsonNode json(ApiResponse response) {
        try {
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Asserts an OpenAI error envelope with exactly the four fields, and returns its {@code error}. */
    public static JsonNode error(ApiResponse response, int status) {
        assertThat(response.status()).as("status").isEqualTo(status);
        assertThat(response.contentType()).isEqualTo(ApiResponse.JSON);
        JsonNode body = json(response);
        assertThat(body.size()).isEqualTo(1);
        JsonNode error = body.get("error");
        assertThat(error).isNotNull();
        assertThat(error.has("message") && error.has("type") && error.has("param") && error.has("code"))
                .as("error has message, type, param and code: %s", error)
                .isTrue();
        assertThat(error.size()).isEqualTo(4);
        return error;
    }
}
