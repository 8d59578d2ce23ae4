package dev.openbatch.core.http;

import dev.openbatch.core.ApiException;
import dev.openbatch.core.Page;
import dev.openbatch.core.api.Batch;
import dev.openbatch.core.api.FileObject;
import dev.openbatch.core.api.ListPage;
import dev.openbatch.core.api.WebhookEndpoint;
import dev.openbatch.core.batches.Batches;
import dev.openbatch.core.batches.RetryBatch;
import dev.openbatch.core.files.Files;
import dev.openbatch.core.pipeline.BatchReports;
import dev.openbatch.core.pipeline.BatchResults;
import dev.openbatch.core.uploads.Uploads;
import dev.openbatch.core.webhooks.WebhookEndpoints;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The OpenAI-compatible API under {@code /v1}: routes a request to its use case and answers in
 * OpenAI's shapes, errors included. Whatever the door (API Gateway, the local server), this is
 * the room.
 */
public final class OpenAiApi {

    private static final System.Logger LOG = System.getLogger(OpenAiApi.class.getName());

    private static final int MAX_CURSOR_LENGTH = 256;

    private record Route(String method, Pattern path, BiFunction<ApiRequest, Matcher, ApiResponse> action) {}

    private final List<Route> routes = new ArrayList<>();

    public OpenAiApi(Files files, Batches batches, Uploads uploads, RetryBatch retry, BatchResults results) {
        this(files, batches, uploads, retry, results, null);
    }

    /** The API, with OpenAI's Webhook Endpoints API where {@code webhooks} is given. */
    public OpenAiApi(
            Files files,
            Batches batches,
            Uploads uploads,
            RetryBatch retry,
            BatchResults results,
            WebhookEndpoints webhooks) {
        this(files, batches, uploads, retry, results, webhooks, null);
    }

    /** The API, with each batch's report where {@code reports} is given (see docs/report.md). */
    public OpenAiApi(
            Files files,
            Batches batches,
            Uploads uploads,
            RetryBatch retry,
            BatchResults results,
            WebhookEndpoints webhooks,
            BatchReports reports) {
        // The batch console (docs/console.md): a page and its assets, no data, no key needed.
        Console console = new Console();
        route("GET", Console.PATH, (r, m) -> console.page(r));
        route("GET", Console.PATH + "/([^/]+)", (r, m) -> console.asset(m.group(1)));

        route(
                "POST",
                "/v1/files",
                (r, m) -> ApiResponse.ok(files.upload(
                        r.tenant(), Multipart.parse(r.header("content-type").orElse(null), r.body()))));
        route(
                "GET",
                "/v1/files",
                (r, m) -> list(
                        files.list(
                                r.tenant(),
                                r.queryParam("purpose").orElse(null),
                                cursor(r),
                                intParam(r, "limit"),
                                r.queryParam("order").orElse(null)),
                        FileObject::id));
        route("GET", "/v1/files/([^/]+)", (r, m) -> ApiResponse.ok(files.retrieve(r.tenant(), m.group(1))));
        route("DELETE", "/v1/files/([^/]+)", (r, m) -> ApiResponse.ok(files.delete(r.tenant(), m.group(1))));
        route("GET", "/v1/files/([^/]+)/content", (r, m) -> content(files.content(r.tenant(), m.group(1))));

        route("POST", "/v1/uploads", (r, m) -> ApiResponse.ok(uploads.create(r.tenant(), r.body())));
        route(
                "POST",
                "/v1/uploads/([^/]+)/parts",
                (r, m) -> ApiResponse.ok(uploads.addPart(
                        r.tenant(),
                        m.group(1),
                        Multipart.parse(r.header("content-type").orElse(null), r.body()))));
        route(
                "POST",
                "/v1/uploads/([^/]+)/complete",
                (r, m) -> ApiResponse.ok(uploads.complete(r.tenant(), m.group(1), r.body())));
        route("POST", "/v1/uploads/([^/]+)/cancel", (r, m) -> ApiResponse.ok(uploads.cancel(r.tenant(), m.group(1))));

        route("POST", "/v1/batches", (r, m) -> ApiResponse.ok(batches.create(r.tenant(), r.body())));
        route(
                "GET",
                "/v1/batches",
                (r, m) -> list(batches.list(r.tenant(), cursor(r), intParam(r, "limit")), Batch::id));
        route("GET", "/v1/batches/([^/]+)", (r, m) -> ApiResponse.ok(batches.retrieve(r.tenant(), m.group(1))));
        route("POST", "/v1/batches/([^/]+)/cancel", (r, m) -> ApiResponse.ok(batches.cancel(r.tenant(), m.group(1))));
        // Our extensions of the Batches API: see docs/results.md.
        route(
                "POST",
                "/v1/batches/([^/]+)/retry",
                (r, m) -> ApiResponse.ok(retry.retry(r.tenant(), m.group(1), r.body())));
        route("GET", "/v1/batches/([^/]+)/output", (r, m) -> content(results.output(r.tenant(), m.group(1))));
        route("GET", "/v1/batches/([^/]+)/errors", (r, m) -> content(results.errors(r.tenant(), m.group(1))));
        if (reports != null) {
            route(
                    "GET",
                    "/v1/batches/([^/]+)/report",
                    (r, m) -> ApiResponse.bytes(reports.report(r.tenant(), m.group(1)), "application/json"));
        }

        if (webhooks != null) {
            webhookRoutes(webhooks);
        }
    }

    private void webhookRoutes(WebhookEndpoints webhooks) {
        route("POST", "/v1/webhook_endpoints", (r, m) -> ApiResponse.ok(webhooks.create(r.tenant(), r.body())));
        route(
                "GET",
                "/v1/webhook_endpoints",
                (r, m) -> list(webhooks.list(r.tenant(), cursor(r), intParam(r, "limit")), WebhookEndpoint::id));
        route(
                "GET",
                "/v1/webhook_endpoints/([^/]+)",
                (r, m) -> ApiResponse.ok(webhooks.retrieve(r.tenant(), m.group(1))));
        route(
                "POST",
                "/v1/webhook_endpoints/([^/]+)",
                (r, m) -> ApiResponse.ok(webhooks.update(r.tenant(), m.group(1), r.body())));
        route(
                "DELETE",
                "/v1/webhook_endpoints/([^/]+)",
                (r, m) -> ApiResponse.ok(webhooks.delete(r.tenant(), m.group(1))));
        route(
                "POST",
                "/v1/webhook_endpoints/([^/]+)/rotate_secret",
                (r, m) -> ApiResponse.ok(webhooks.rotateSecret(r.tenant(), m.group(1), r.body())));
        route("POST", "/v1/webhook_endpoints/([^/]+)/test", (r, m) -> {
            try {
                return ApiResponse.ok(webhooks.test(r.tenant(), m.group(1), r.body()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while delivering a test event", e);
            }
        });
        route("GET", "/v1/webhook_event_types", (r, m) -> ApiResponse.ok(webhooks.eventTypes()));
    }

    /** A file's bytes, or the redirect to them. */
    private static ApiResponse content(Files.Content content) {
        return switch (content) {
            case Files.Content.Inline inline -> ApiResponse.bytes(inline.bytes(), "application/octet-stream");
            case Files.Content.Redirect redirect -> ApiResponse.redirect(redirect.location());
        };
    }

    private void route(String method, String path, BiFunction<ApiRequest, Matcher, ApiResponse> action) {
        routes.add(new Route(method, Pattern.compile(path), action));
    }

    public ApiResponse handle(ApiRequest request) {
        try {
            return dispatch(request);
        } catch (ApiException e) {
            return ApiResponse.json(e.status(), e.envelope());
        } catch (RuntimeException e) {
            LOG.log(
                    System.Logger.Level.ERROR,
                    "unexpected failure serving " + request.method() + " " + request.path(),
                    e);
            return ApiResponse.json(
                    500,
                    new ApiException(
                                    500,
                                    "server_error",
                                    "The server had an error while processing your request. Sorry about that!",
                                    null,
                                    null)
                            .envelope());
        }
    }

    private ApiResponse dispatch(ApiRequest request) {
        String path = request.path().length() > 1 && request.path().endsWith("/")
                ? request.path().substring(0, request.path().length() - 1)
                : request.path();
        List<String> allowed = new ArrayList<>();
        for (Route route : routes) {
            Matcher m = route.path().matcher(path);
            if (m.matches()) {
                if (route.method().equals(request.method())) {
                    return route.action().apply(request, m);
                }
                allowed.add(route.method());
            }
        }
        String url = request.method() + " " + request.path();
        if (allowed.isEmpty()) {
            throw ApiException.notFound("Invalid URL (" + url + ")", null);
        }
        throw new ApiException(
                405,
                "invalid_request_error",
                "Invalid method for URL (" + url + "): allowed "
                        + allowed.stream().collect(Collectors.joining(", ")) + ".",
                null,
                "method_not_allowed");
    }

    private static <T> ApiResponse list(Page<T> page, Function<T, String> id) {
        return ApiResponse.ok(ListPage.of(page.items(), page.hasMore(), id));
    }

    /** The {@code after} cursor: an id, which is never long. */
    private static String cursor(ApiRequest request) {
        String after = request.queryParam("after").orElse(null);
        if (after != null && after.length() > MAX_CURSOR_LENGTH) {
            throw ApiException.invalid(
                    "Invalid 'after': expected an id of at most " + MAX_CURSOR_LENGTH + " characters.",
                    "after",
                    "invalid_value");
        }
        return after;
    }

    private static Integer intParam(ApiRequest request, String name) {
        String value = request.queryParam(name).orElse(null);
        if (value == null) {
            return null;
        }
        try {
            return Integer.valueOf(value);
        } catch (NumberFormatException e) {
            throw ApiException.invalid(
                    "Invalid type for '" + name + "': expected an integer, but got '" + value + "' instead.",
                    name,
                    "invalid_type");
        }
    }
}
