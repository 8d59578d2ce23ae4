package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2CustomAuthorizerEvent;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import dev.openbatch.aws.AuthorizerHandler;
import dev.openbatch.aws.DynamoDbKeyStore;
import dev.openbatch.aws.Settings;
import dev.openbatch.aws.Tables;
import dev.openbatch.aws.Wiring;
import dev.openbatch.core.keys.ApiKey;
import dev.openbatch.core.keys.ApiKeys;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * API keys in DynamoDB Local through the real SDK client, issued and revoked with the very items
 * the README's AWS CLI commands write, and the authorizer reading them through its wiring.
 */
class DynamoDbKeyStoreIntegrationTest {

    private static final String TABLE = "it-keys-" + UUID.randomUUID();
    private static DynamoDbClient dynamo;
    private static DynamoDbKeyStore store;

    @BeforeAll
    static void table() {
        dynamo = Emulators.clients().dynamoDb();
        dynamo.createTable(Tables.apiKeys(TABLE));
        store = new DynamoDbKeyStore(dynamo, TABLE);
    }

    /** {@code aws dynamodb put-item --item '{"key_hash":{"S":...},"tenant":{"S":...},"created_at":{"N":...}}'} */
    private static String issue(String tenant) {
        String key = "sk-openbatch-" + UUID.randomUUID().toString().replace("-", "");
        dynamo.putItem(b -> b.tableName(TABLE)
                .conditionExpression("attribute_not_exists(key_hash)")
                .item(Map.of(
                        "key_hash", AttributeValue.fromS(ApiKeys.hash(key)),
                        "tenant", AttributeValue.fromS(tenant),
                        "created_at",
                                AttributeValue.fromN(Long.toString(Instant.now().getEpochSecond())))));
        return key;
    }

    /** {@code aws dynamodb update-item --update-expression 'SET revoked_at = :at'} */
    private static void revoke(String key, Instant at) {
        dynamo.updateItem(b -> b.tableName(TABLE)
                .key(Map.of("key_hash", AttributeValue.fromS(ApiKeys.hash(key))))
                .updateExpression("SET revoked_at = :at")
                .expressionAttributeValues(Map.of(":at", AttributeValue.fromN(Long.toString(at.getEpochSecond())))));
    }

    @Test
    void find_byHash_givesTheTenant_andNothingForAKeyNeverIssued() {
        String key = issue("team-find");

        assertThat(store.find(ApiKeys.hash(key))).contains(new ApiKey("team-find", null));
        assertThat(store.find(ApiKeys.hash(key + "x"))).isEmpty();
    }

    @Test
    void aRevocation_isReadAtOnce_withItsTime() {
        String key = issue("team-revoke");
        Instant at = Instant.ofEpochSecond(1_790_000_000L);

        revoke(key, at);

        assertThat(store.find(ApiKeys.hash(key))).contains(new ApiKey("team-revoke", at.getEpochSecond()));
    }

    @Test
    void anItemWithoutATenant_isAnError_notAnotherTenant() {
        dynamo.putItem(
                b -> b.tableName(TABLE).item(Map.of("key_hash", AttributeValue.fromS(ApiKeys.hash("sk-orphan")))));

        assertThatThrownBy(() -> store.find(ApiKeys.hash("sk-orphan"))).hasMessageContaining("names no tenant");
    }

    @Test
    void theAuthorizer_wiredToTheTable_letsIssuedKeysIn_andKeepsRevokedAndUnknownOnesOut() {
        Settings emulators = Emulators.settings();
        Settings settings = emulators.toBuilder().keysTable(TABLE).build();
        AuthorizerHandler authorizer = new AuthorizerHandler(new Wiring(settings));
        String live = issue("team-live");
        String revoked = issue("team-live");
        revoke(revoked, Instant.now().minusSeconds(1));

        SimpleIAMPolicyResponse allowed = authorizer.handleRequest(request("Bearer " + live), null);
        assertThat(allowed.getIsAuthorized()).isTrue();
        assertThat(allowed.getContext()).isEqualTo(Map.of("tenant", "team-live"));
        assertThat(authorizer.handleRequest(request("Bearer " + revoked), null).getContext())
                .isEqualTo(Map.of("denied", "REVOKED"));
        assertThat(authorizer
                        .handleRequest(request("Bearer sk-never-issued"), null)
                        .getContext())
                .isEqualTo(Map.of("denied", "UNKNOWN"));
        assertThat(authorizer.handleRequest(request(null), null).getContext()).isEqualTo(Map.of("denied", "MISSING"));
    }

    private static APIGatewayV2CustomAuthorizerEvent request(String authorization) {
        return APIGatewayV2CustomAuthorizerEvent.builder()
                .withVersion("2.0")
                .withType("REQUEST")
                .withRawPath("/v1/files")
                .withHeaders(authorization == null ? Map.of("host", "api") : Map.of("authorization", authorization))
                .build();
    }
}
