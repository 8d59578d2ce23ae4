package dev.openbatch.core.http;

import dev.openbatch.core.Json;
import java.net.URI;
import java.util.Map;

/**
 * An HTTP response from the API.
 *
 * @param status  the HTTP status
 * @param headers response headers
 * @param body    the raw body
 */
public record ApiResponse(int status, Map<String, String> headers, byte[] body) {

    public static final String JSON = "application/json";

    public ApiResponse {
        headers = Map.copyOf(headers);
    }

    public static ApiResponse json(int status, Object value) {
        return new ApiResponse(status, Map.of("content-type", JSON), Json.write(value));
    }

    public static ApiResponse ok(Object value) {
        return json(200, value);
    }

    public static ApiResponse bytes(byte[] body, String contentType) {
        return new ApiResponse(200, Map.of("content-type", contentType), body);
    }

    /** A 302 to where the client fetches what it asked for. */
    public static ApiResponse redirect(URI location) {
        return new ApiResponse(302, Map.of("location", location.toString()), new byte[0]);
    }

    public String contentType() {
        return headers.getOrDefault("content-type", "");
    }
}
