package dev.openbatch.core;

import dev.openbatch.core.api.OpenAiError;
import dev.openbatch.core.keys.Decision;
import java.util.Collection;
import java.util.stream.Collectors;

/**
 * A request that cannot be served, with the HTTP status and OpenAI error it answers with.
 * Thrown before anything is written, so a failed request leaves no partial state.
 */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private static final String INVALID_REQUEST = "invalid_request_error";

    private final int status;

    @SuppressWarnings("serial") // never Java-serialized: it becomes an HTTP answer in the process that threw it
    private final OpenAiError.Detail error;

    public ApiException(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.error = new OpenAiError.Detail(message, type, param, code);
    }

    public static ApiException invalid(String message, String param, String code) {
        return new ApiException(400, INVALID_REQUEST, message, param, code);
    }

    public static ApiException notFound(String message, String param) {
        return new ApiException(404, INVALID_REQUEST, message, param, null);
    }

    /**
     * A request without a key, or with one that is not an issued, unrevoked key: 401, in OpenAI's words.
     * An unknown, malformed and revoked key read alike, so that keys cannot be probed.
     */
    public static ApiException unauthorized(Decision.Reason reason) {
        return reason == Decision.Reason.MISSING
                ? new ApiException(
                        401,
                        INVALID_REQUEST,
                        "You didn't provide an API key. You need to provide your API"
                                + " key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                        null,
                        null)
                : new ApiException(
                        401,
                        INVALID_REQUEST,
                        "Incorrect API key provided. Ask your openbatch operator" + " for a key.",
                        null,
                        "invalid_api_key");
    }

    public static ApiException missing(String param) {
        return invalid("Missing required parameter: '" + param + "'.", param, "missing_required_parameter");
    }

    public static ApiException notOneOf(String value, Collection<String> allowed, String param) {
        String choices = allowed.stream().map(a -> "'" + a + "'").collect(Collectors.joining(", "));
        return invalid("'" + value + "' is not one of [" + choices + "] - '" + param + "'", param, "invalid_value");
    }

    public int status() {
        return status;
    }

    public OpenAiError envelope() {
        return new OpenAiError(error);
    }
}
