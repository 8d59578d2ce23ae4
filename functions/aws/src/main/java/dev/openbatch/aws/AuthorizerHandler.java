package dev.openbatch.aws;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2CustomAuthorizerEvent;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import dev.openbatch.core.keys.ApiKeys;
import dev.openbatch.core.keys.Decision;
import java.util.Map;

/**
 * The API's Lambda authorizer (HTTP API, payload format 2.0, simple responses): lets a request in
 * when its {@code Authorization: Bearer <key>} is an issued, unrevoked key, and hands the key's
 * tenant to the API function as the context {@code {"tenant": ...}}.
 */
public final class AuthorizerHandler implements RequestHandler<APIGatewayV2CustomAuthorizerEvent, SimpleIAMPolicyResponse> {

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
                yield new SimpleIAMPolicyResponse(false, Map.of());
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
                .findFirst().orElse(null);
    }
}
