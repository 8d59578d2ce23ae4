package dev.openbatch.cdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openbatch.deployment.DeploymentConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awscdk.App;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;

/**
 * The CDK's own checks: the stack synthesizes through the CloudFormation validation that cdk.json's
 * feature flags turn on, with no warning left but those acknowledged on purpose.
 */
class ValidationTest {

    private static Synth synth(String config) {
        return config.equals("minimal") ? Synth.minimal() : Synth.full();
    }

    @ParameterizedTest
    @ValueSource(strings = {"minimal", "full"})
    void theStack_hasNoErrorAndNoWarning(String config) {
        Annotations annotations = Annotations.fromStack(synth(config).stack());

        annotations.hasNoError("*", Match.anyValue());
        annotations.hasNoWarning("*", Match.anyValue());
    }

    /**
     * Acknowledged, each with its reason at the place it is made: SnapStart's reminder to publish
     * versions (the API functions are only invoked through an alias on a published version), and a
     * subnet imported without its route table (the worker only puts network interfaces in it).
     */
    @Test
    void theOnlyAcknowledgedWarnings_areTheIntendedOnes_eachWithItsReason() {
        assertThat(Synth.minimal().stack().acknowledgedWarnings())
                .containsOnlyKeys("@aws-cdk/aws-lambda:snapStartRequirePublish");
        assertThat(Synth.full().stack().acknowledgedWarnings())
                .containsOnlyKeys(
                        "@aws-cdk/aws-lambda:snapStartRequirePublish", "@aws-cdk/aws-ec2:noSubnetRouteTableId")
                .allSatisfy((warning, reason) -> assertThat(reason).isNotBlank());
    }

    @Test
    void theValidationIsOn_aTemplateCloudFormationWouldRefuse_doesNotSynthesize() {
        String badSecurityGroup = Synth.FULL.replace("sg-0c1d2e3f4a5b60718", "sg-not-an-id");
        App app = App.Builder.create().context(Synth.cdkJsonContext()).build();
        OpenBatchApp.stack(app, DeploymentConfig.parse(badSecurityGroup));

        assertThatThrownBy(app::synth).hasMessageContaining("Validation failed");
    }
}
