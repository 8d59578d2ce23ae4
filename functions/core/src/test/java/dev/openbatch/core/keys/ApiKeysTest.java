package dev.openbatch.core.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ApiKeysTest {

    private static final Instant NOW = Instant.ofEpochSecond(1_800_000_000L);

    private final Map<String, ApiKey> stored = new HashMap<>();
    private final Map<String, Integer> lookups = new HashMap<>();
    private final ApiKeys keys = new ApiKeys(
            hash -> {
                lookups.merge(hash, 1, Integer::sum);
                return Optional.ofNullable(stored.get(hash));
            },
            Clock.fixed(NOW, ZoneOffset.UTC));

    private void issue(String key, ApiKey record) {
        stored.put(ApiKeys.hash(key), record);
    }

    @Test
    void hash_isTheLowercaseHexSha256OfTheWholeKey_asSha256sumPrintsIt() {
        // printf %s "sk-test-1" | sha256sum
        assertThat(ApiKeys.hash("sk-test-1"))
                .isEqualTo("db567a0dd8d24a1a894b3f1ceac157727179c1d15c226c5554dd1972d0fed479");
        assertThat(ApiKeys.hash("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void anIssuedKey_letsTheRequestInForItsTenant() {
        issue("sk-team-a", new ApiKey("team-a", null));

        assertThat(keys.authorize("Bearer sk-team-a")).isEqualTo(new Decision.Allowed("team-a"));
        assertThat(keys.authorize("bearer   sk-team-a ")).isEqualTo(new Decision.Allowed("team-a"));
    }

    @Test
    void theStoreIsAskedForTheHash_neverForTheKey() {
        issue("sk-team-a", new ApiKey("team-a", null));

        keys.authorize("Bearer sk-team-a");

        assertThat(lookups).containsOnlyKeys(ApiKeys.hash("sk-team-a"));
    }

    @Test
    void aRevokedKey_isDenied_butAScheduledRevocation_letsItInUntilThen() {
        issue("sk-revoked", new ApiKey("team-a", NOW.getEpochSecond()));
        issue("sk-rotating", new ApiKey("team-a", NOW.getEpochSecond() + 3600));

        assertThat(keys.authorize("Bearer sk-revoked")).isEqualTo(new Decision.Denied(Decision.Reason.REVOKED));
        assertThat(keys.authorize("Bearer sk-rotating")).isEqualTo(new Decision.Allowed("team-a"));
    }

    @Test
    void anUnknownKey_isDenied() {
        issue("sk-team-a", new ApiKey("team-a", null));

        assertThat(keys.authorize("Bearer sk-team-b")).isEqualTo(new Decision.Denied(Decision.Reason.UNKNOWN));
        assertThat(keys.authorize("Bearer SK-TEAM-A")).isEqualTo(new Decision.Denied(Decision.Reason.UNKNOWN));
    }

    @Test
    void noHeader_isMissing_andAnythingButBearerAndOneKey_isMalformed() {
        issue("sk-team-a", new ApiKey("team-a", null));

        assertThat(keys.authorize(null)).isEqualTo(new Decision.Denied(Decision.Reason.MISSING));
        assertThat(keys.authorize(" ")).isEqualTo(new Decision.Denied(Decision.Reason.MISSING));
        for (String header : new String[] {
            "sk-team-a",
            "Basic c2stdGVhbS1hOg==",
            "Bearer",
            "Bearer ",
            "Bearer sk-team-a extra",
            "Token sk-team-a",
            "Bearer " + "k".repeat(ApiKeys.MAX_KEY_LENGTH + 1)
        }) {
            assertThat(keys.authorize(header)).as(header).isEqualTo(new Decision.Denied(Decision.Reason.MALFORMED));
        }
        assertThat(lookups).isEmpty();
    }
}
