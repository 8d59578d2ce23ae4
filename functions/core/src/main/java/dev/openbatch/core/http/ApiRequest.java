package dev.openbatch.core.http;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An HTTP request to the API, as the core sees it, whichever door it came through.
 *
 * @param method  upper-case HTTP method
 * @param path    the path, starting with {@code /v1}
 * @param query   query parameters (the first value of each)
 * @param headers headers, names in lower case
 * @param body    the raw body, empty when there is none
 * @param tenant  the account the caller acts for, as established by the authorizer
 */
public record ApiRequest(
        String method,
        String path,
        Map<String, String> query,
        Map<String, String> headers,
        byte[] body,
        String tenant) {

    public ApiRequest {
        query = Map.copyOf(query);
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    public Optional<String> queryParam(String name) {
        return Optional.ofNullable(query.get(name));
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }
}
