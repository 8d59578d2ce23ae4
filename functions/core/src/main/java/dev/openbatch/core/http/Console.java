package dev.openbatch.core.http;

import dev.openbatch.core.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The batch console (docs/console.md): the page at {@code /console} and its assets at
 * {@code /console/<name>}, read from the classpath where the build bundled them. They hold no data,
 * so they are served without an API key; the page's own calls to {@code /v1} carry the user's. Every
 * answer forbids what the page does not need: scripts, styles and connections from anywhere but here,
 * inline code, framing, forms and a {@code <base>} of its own.
 */
public final class Console {

    /** Where the console is served; nothing under it needs a key. */
    public static final String PATH = "/console";

    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static final String RESOURCES = "/dev/openbatch/console/";

    private static final String INDEX = "index.html";

    /** An asset's name: no folders, so nothing outside the console's resources can be named. */
    private static final Pattern ASSET = Pattern.compile("[a-z0-9][a-z0-9.-]*\\.(html|js|css|svg|png)");

    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png");

    private final Map<String, Optional<byte[]>> assets = new ConcurrentHashMap<>();

    /** True for the paths the console answers, which the API's key check lets through. */
    public static boolean serves(String path) {
        return path.equals(PATH) || path.startsWith(PATH + "/");
    }

    /**
     * The page. Its assets are named relative to {@code /console} ({@code console/app.js}), so that it
     * works under any prefix (an API Gateway stage); {@code /console/} is sent back to {@code /console}
     * so that those names resolve.
     */
    ApiResponse page(ApiRequest request) {
        if (request.path().endsWith("/")) {
            return withPolicy(new ApiResponse(302, Map.of("location", "../console"), new byte[0]));
        }
        return asset(INDEX);
    }

    /** An asset by its name, or OpenAI's 404. */
    ApiResponse asset(String name) {
        byte[] body = ASSET.matcher(name).matches()
                ? assets.computeIfAbsent(name, Console::read).orElse(null)
                : null;
        if (body == null) {
            throw ApiException.notFound("No console asset named '" + name + "'.", null);
        }
        String type = TYPES.get(name.substring(name.lastIndexOf('.') + 1));
        return withPolicy(new ApiResponse(
                200,
                Map.of(
                        "content-type",
                        type,
                        // The page is small and changes with each release: always asked for anew.
                        "cache-control",
                        "no-cache"),
                body));
    }

    private static ApiResponse withPolicy(ApiResponse response) {
        Map<String, String> headers = new HashMap<>(response.headers());
        headers.put("content-security-policy", CONTENT_SECURITY_POLICY);
        headers.put("x-content-type-options", "nosniff");
        headers.put("referrer-policy", "no-referrer");
        headers.put("x-frame-options", "DENY");
        return new ApiResponse(response.status(), headers, response.body());
    }

    private static Optional<byte[]> read(String name) {
        try (InputStream in = Console.class.getResourceAsStream(RESOURCES + name)) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the console's " + name, e);
        }
    }
}
