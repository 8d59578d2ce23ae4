package dev.openbatch.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2CustomAuthorizerEvent;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.fasterxml.jackson.databind.JsonNode;
import dev.openbatch.core.Json;
import dev.openbatch.core.keys.ApiKey;
import dev.openbatch.core.keys.ApiKeys;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The authorizer fed the event API Gateway sends, its answer written as Lambda's runtime writes it. */
class AuthorizerHandlerTest {

    private static final String KEY = "sk-openbatch-4f1c2a9e7d3b5a60c8e1f2a3b4c5d6e7";

    private final Map<String, ApiKey> issued = new HashMap<>();
    private final AuthorizerHandler handler =
            new AuthorizerHandler(new ApiKeys(hash -> Optional.ofNullable(issued.get(hash)), Clock.systemUTC()));

    static APIGatewayV2CustomAuthorizerEvent event() throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("../../events/api-gateway/authorize-request.json"))) {
            return LambdaEventSerializers.serializerFor(
                            APIGatewayV2CustomAuthorizerEvent.class, AuthorizerHandlerTest.class.getClassLoader())
                    .fromJson(in);
        }
    }

    /** The response as API Gateway receives it. */
    static JsonNode written(SimpleIAMPolicyResponse response) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LambdaEventSerializers.serializerFor(
                        SimpleIAMPolicyResponse.class, AuthorizerHandlerTest.class.getClassLoader())
                .toJson(response, out);
        return Json.MAPPER.readTree(out.toByteArray());
    }

    @Test
    void anIssuedKey_isAuthorized_withItsTenantInTheContext() throws IOException {
        issued.put(ApiKeys.hash(KEY), new ApiKey("team-a", null));

        JsonNode answer = written(handler.handleRequest(event(), null));

        assertThat(answer.path("isAuthorized").asBoolean()).isTrue();
        assertThat(answer.path("context").path("tenant").asText()).isEqualTo("team-a");
    }

    @Test
    void anUnknownKey_isPassedOnAsDenied_withNoTenant() throws IOException {
        issued.put(ApiKeys.hash("sk-someone-else"), new ApiKey("team-b", null));

        JsonNode answer = written(handler.handleRequest(event(), null));

        // Let through, so that the API function answers OpenAI's 401 instead of API Gateway's 403.
        assertThat(answer.path("isAuthorized").asBoolean()).isTrue();
        assertThat(answer.path("context").path("denied").asText()).isEqualTo("UNKNOWN");
        assertThat(answer.path("context").path("tenant").isMissingNode()).isTrue();
    }

    @Test
    void aRevokedKey_isPassedOnAsDenied() throws IOException {
        issued.put(ApiKeys.hash(KEY), new ApiKey("team-a", 1L));

        assertThat(handler.handleRequest(event(), null).getContext()).isEqualTo(Map.of("denied", "REVOKED"));
    }

    @Test
    void aRequestWithoutTheHeader_isPassedOnAsDenied() throws IOException {
        issued.put(ApiKeys.hash(KEY), new ApiKey("team-a", null));
        APIGatewayV2CustomAuthorizerEvent event = event();
        event.getHeaders().remove("authorization");

        assertThat(handler.handleRequest(event, null).getContext()).isEqualTo(Map.of("denied", "MISSING"));
    }

    @Test
    void theHeaderIsFound_whateverTheCaseOfItsName() throws IOException {
        issued.put(ApiKeys.hash(KEY), new ApiKey("team-a", null));
        APIGatewayV2CustomAuthorizerEvent event = event();
        event.setHeaders(Map.of("Authorization", "Bearer " + KEY));

        assertThat(handler.handleRequest(event, null).getContext()).containsEntry("tenant", "team-a");
    }
}
