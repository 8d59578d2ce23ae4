package dev.openbatch.aws;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2CustomAuthorizerEvent;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import dev.openbatch.core.keys.ApiKeys;
import dev.openbatch.core.keys.Decision;
import java.util.Map;

/**
 * The API's Lambda authorizer (HTTP API, payload format 2.0, simple responses): finds the tenant of
 * a request's {@code Authorization: Bearer <key>} and hands it to the API function as the context
 * {@code {"tenant": ...}}. A key that is not an issued, unrevoked one is passed on as
 * {@code {"denied": reason}} rather than refused here: API Gateway would answer a refusal with its
 * own {@code {"message":"Forbidden"}}, where OpenAI's clients expect a 401 in OpenAI's envelope,
 * which the API function gives without touching anything.
 */
public final class AuthorizerHandler
        implements RequestHandler<APIGatewayV2CustomAuthorizerEvent, SimpleIAMPolicyResponse> {

    /** The context key that carries a refusal's reason to the API function. */
    static final String DENIED = "denied";

    private static final System.Logger LOG = System.getLogger(AuthorizerHandler.class.getName());

    private final ApiKeys keys;

    public AuthorizerHandler() {
        this(Wiring.fromEnvironment());
    }

    public AuthorizerHandler(Wiring wiring) {
        this(wiring.apiKeys());
    }

    AuthorizerHandler(ApiKeys keys) {
        this.keys = keys;
    }

    @Override
    public SimpleIAMPolicyResponse handleRequest(APIGatewayV2CustomAuthorizerEvent event, Context context) {
        return switch (keys.authorize(authorization(event))) {
            case Decision.Allowed allowed -> new SimpleIAMPolicyResponse(true, Map.of("tenant", allowed.tenant()));
            case Decision.Denied denied -> {
                LOG.log(System.Logger.Level.INFO, "denied: " + denied.reason());
                yield new SimpleIAMPolicyResponse(
                        true, Map.of(DENIED, denied.reason().name()));
            }
        };
    }

    /** HTTP APIs lowercase header names in the event; matched without regard to case all the same. */
    private static String authorization(APIGatewayV2CustomAuthorizerEvent event) {
        if (event.getHeaders() == null) {
            return null;
        }
        return event.getHeaders().entrySet().stream()
                .filter(header -> header.getKey().equalsIgnoreCase("authorization"))
                .map(Map.Entry::getValue)
                .findFirst()
                .orElse(null);
    }
}
