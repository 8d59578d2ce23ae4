package dev.openbatch.core.files;

import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.http.JsonBody;
import dev.openbatch.core.http.Multipart;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's expiration policy of a file, {@code {"anchor": "created_at", "seconds": 3600..2592000}}:
 * {@code expires_after} of {@code POST /v1/files} (as multipart fields {@code expires_after[anchor]}
 * and {@code expires_after[seconds]}, as the SDKs send a nested object in a form) and of
 * {@code POST /v1/uploads}, and {@code output_expires_after} of {@code POST /v1/batches}. The file
 * expires {@code seconds} after it is created; past its {@code expires_at} it is gone.
 *
 * @param seconds how long after its creation the file expires
 */
public record ExpiresAfter(long seconds) {

    public static final String ANCHOR = "created_at";
    /** One hour, as OpenAI's shortest. */
    public static final long MIN_SECONDS = 3_600;
    /** Thirty days, as OpenAI's longest. */
    public static final long MAX_SECONDS = 2_592_000;

    /** When a file created at {@code createdAt} expires. */
    public long expiresAt(long createdAt) {
        return createdAt + seconds;
    }

    /** The policy of a JSON body's {@code param}, or null when it has none; a bad one is OpenAI's 400 naming it. */
    public static ExpiresAfter of(JsonNode node, String param) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw JsonBody.invalidType(param, "an object", node);
        }
        JsonNode anchor = node.get("anchor");
        if (anchor == null || anchor.isNull()) {
            throw ApiException.missing(param + ".anchor");
        }
        if (!anchor.isTextual()) {
            throw JsonBody.invalidType(param + ".anchor", "a string", anchor);
        }
        JsonNode seconds = node.get("seconds");
        if (seconds == null || seconds.isNull()) {
            throw ApiException.missing(param + ".seconds");
        }
        if (!seconds.isIntegralNumber()) {
            throw JsonBody.invalidType(param + ".seconds", "an integer", seconds);
        }
        return checked(anchor.textValue(), seconds.longValue(), param);
    }

    /** The policy of a form's {@code param[anchor]} and {@code param[seconds]}, or null when it has neither. */
    public static ExpiresAfter of(Map<String, Multipart.Part> form, String param) {
        Multipart.Part anchor = form.get(param + "[anchor]");
        Multipart.Part seconds = form.get(param + "[seconds]");
        if (anchor == null && seconds == null) {
            return null;
        }
        if (anchor == null) {
            throw ApiException.missing(param + ".anchor");
        }
        if (seconds == null) {
            throw ApiException.missing(param + ".seconds");
        }
        long value;
        try {
            value = Long.parseLong(seconds.text().strip());
        } catch (NumberFormatException e) {
            throw ApiException.invalid(
                    "Invalid type for '" + param + ".seconds': expected an integer, but got a string instead.",
                    param + ".seconds",
                    "invalid_type");
        }
        return checked(anchor.text().strip(), value, param);
    }

    private static ExpiresAfter checked(String anchor, long seconds, String param) {
        if (!anchor.equals(ANCHOR)) {
            throw ApiException.notOneOf(anchor, List.of(ANCHOR), param + ".anchor");
        }
        if (seconds < MIN_SECONDS) {
            throw ApiException.invalid(
                    "Invalid '" + param + ".seconds': integer below minimum value. Expected a value >= " + MIN_SECONDS
                            + ", but got " + seconds + " instead.",
                    param + ".seconds",
                    "integer_below_min_value");
        }
        if (seconds > MAX_SECONDS) {
            throw ApiException.invalid(
                    "Invalid '" + param + ".seconds': integer above maximum value. Expected a value <= " + MAX_SECONDS
                            + ", but got " + seconds + " instead.",
                    param + ".seconds",
                    "integer_above_max_value");
        }
        return new ExpiresAfter(seconds);
    }
}
