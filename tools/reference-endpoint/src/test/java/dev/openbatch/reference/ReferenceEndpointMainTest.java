package dev.openbatch.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReferenceEndpointMainTest {

    @Test
    void options_areReadFromTheCommandLine() {
        Options options = ReferenceEndpointMain.options(new String[] {
            "--port",
            "8123",
            "--latency-ms",
            "250",
            "--jitter-ms",
            "50",
            "--max-concurrency",
            "16",
            "--fault-500",
            "0.1",
            "--fault-503",
            "0.05",
            "--fault-429",
            "0.2",
            "--retry-after-429",
            "0.25",
            "--fault-timeout",
            "0.01",
            "--fault-reset",
            "0.02",
            "--fault-truncated",
            "0.03",
            "--fault-non-json",
            "0.04",
            "--timeout-hold-ms",
            "5000",
            "--seed",
            "7",
            "--models",
            "llama,qwen"
        });

        assertThat(options)
                .isEqualTo(new Options(
                        8123,
                        Duration.ofMillis(250),
                        Duration.ofMillis(50),
                        16,
                        0.1,
                        0.05,
                        0.2,
                        0.25,
                        0.01,
                        Duration.ofMillis(5000),
                        0.02,
                        0.03,
                        0.04,
                        7,
                        List.of("llama", "qwen")));
    }

    @Test
    void noArguments_giveTheDefaults_noLatencyNoCapNoFaults() {
        Options options = ReferenceEndpointMain.options(new String[0]);

        assertThat(options).isEqualTo(Options.defaults());
        assertThat(options.latency()).isZero();
        assertThat(options.maxConcurrency()).isZero();
        for (Fault fault : Fault.values()) {
            assertThat(options.probability(fault)).isZero();
        }
    }

    @Test
    void unknownOptions_missingValues_andNonNumbers_areRefused() {
        assertThatThrownBy(() -> ReferenceEndpointMain.options(new String[] {"--colour", "blue"}))
                .hasMessageContaining("unknown option --colour");
        assertThatThrownBy(() -> ReferenceEndpointMain.options(new String[] {"--port"}))
                .hasMessageContaining("needs a value");
        assertThatThrownBy(() -> ReferenceEndpointMain.options(new String[] {"--fault-500", "often"}))
                .hasMessageContaining("needs a number");
    }

    @Test
    void faultProbabilities_outside0To1_orAddingUpToMoreThan1_areRefused() {
        assertThatThrownBy(() -> Options.builder().error500(1.5).build()).hasMessageContaining("error500");
        assertThatThrownBy(() -> Options.builder().timeout(-0.1).build()).hasMessageContaining("timeout");
        assertThatThrownBy(() -> Options.builder().error500(0.6).error503(0.6).build())
                .hasMessageContaining("at most one fault");
        assertThat(Options.builder()
                        .error500(0.7)
                        .error503(0.2)
                        .error429(0.1)
                        .build()
                        .error429())
                .isEqualTo(0.1);
    }
}
