package dev.openbatch.aws;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.openbatch.core.ApiException;
import dev.openbatch.core.http.ApiRequest;
import dev.openbatch.core.http.ApiResponse;
import dev.openbatch.core.keys.Decision;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** The API Lambda: an API Gateway HTTP API (payload format 2.0) event in, OpenAI's answer out. */
public final class ApiHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {

    /** The tenant of requests that carry no authorizer context, until API keys are configured. */
    static final String DEFAULT_TENANT = "default";

    private final Function<ApiRequest, ApiResponse> api;

    public ApiHandler() {
        this(Wiring.fromEnvironment());
    }

    public ApiHandler(Wiring wiring) {
        this(wiring.api()::handle);
    }

    ApiHandler(Function<ApiRequest, ApiResponse> api) {
        this.api = api;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        Object denied = authorizerContext(event).get(AuthorizerHandler.DENIED);
        if (denied != null) {
            ApiException refusal = ApiException.unauthorized(Decision.Reason.valueOf(denied.toString()));
            return toEvent(ApiResponse.json(refusal.status(), refusal.envelope()));
        }
        return toEvent(api.apply(toRequest(event)));
    }

    private static Map<String, Object> authorizerContext(APIGatewayV2HTTPEvent event) {
        var authorizer = event.getRequestContext().getAuthorizer();
        return authorizer == null || authorizer.getLambda() == null ? Map.of() : authorizer.getLambda();
    }

    static ApiRequest toRequest(APIGatewayV2HTTPEvent event) {
        Map<String, String> headers = new HashMap<>();
        if (event.getHeaders() != null) {
            event.getHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
        }
        byte[] body = event.getBody() == null
                ? new byte[0]
                : event.getIsBase64Encoded()
                        ? Base64.getDecoder().decode(event.getBody())
                        : event.getBody().getBytes(StandardCharsets.UTF_8);
        Map<String, String> query = new HashMap<>();
        if (event.getQueryStringParameters() != null) {
            // API Gateway joins repeated parameters with commas; as OpenAI, the first counts.
            event.getQueryStringParameters().forEach((k, v) -> query.put(k, v.split(",", 2)[0]));
        }
        return new ApiRequest(
                event.getRequestContext().getHttp().getMethod().toUpperCase(Locale.ROOT),
                event.getRawPath(),
                query,
                headers,
                body,
                tenant(event));
    }

    private static String tenant(APIGatewayV2HTTPEvent event) {
        Object tenant = authorizerContext(event).get("tenant");
        return tenant == null ? DEFAULT_TENANT : tenant.toString();
    }

    static APIGatewayV2HTTPResponse toEvent(ApiResponse response) {
        boolean json = response.contentType().startsWith(ApiResponse.JSON);
        return APIGatewayV2HTTPResponse.builder()
                .withStatusCode(response.status())
                .withHeaders(response.headers())
                // File contents go out base64-encoded, which API Gateway decodes: bytes pass unharmed.
                .withIsBase64Encoded(!json)
                .withBody(
                        json
                                ? new String(response.body(), StandardCharsets.UTF_8)
                                : Base64.getEncoder().encodeToString(response.body()))
                .build();
    }
}
