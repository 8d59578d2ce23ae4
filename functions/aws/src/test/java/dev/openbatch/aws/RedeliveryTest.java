package dev.openbatch.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedeliveryTest {

    @Test
    void aFailedChunkWaits_theRetryDelay_doubledWithEachDelivery_atMostFifteenMinutes() {
        Duration first = Duration.ofSeconds(30);

        assertThat(Redelivery.delay(first, 1)).isEqualTo(Duration.ofSeconds(30));
        assertThat(Redelivery.delay(first, 2)).isEqualTo(Duration.ofSeconds(60));
        assertThat(Redelivery.delay(first, 4)).isEqualTo(Duration.ofSeconds(240));
        assertThat(Redelivery.delay(first, 6)).isEqualTo(Duration.ofMinutes(15));
        assertThat(Redelivery.delay(first, 500)).isEqualTo(Duration.ofMinutes(15));
        assertThat(Redelivery.delay(Duration.ZERO, 3)).as("0: at once").isEqualTo(Duration.ZERO);
    }
}
