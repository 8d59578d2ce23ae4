package dev.openbatch.cdk;

import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.ec2.ISecurityGroup;
import software.amazon.awscdk.services.ec2.ISubnet;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.lambda.SnapStartConf;
import software.amazon.awscdk.services.lambda.Tracing;
import software.amazon.awscdk.services.lambda.VersionOptions;
import software.amazon.awscdk.services.logs.CfnLogGroup;
import software.amazon.awscdk.services.logs.LogGroup;
import software.constructs.Construct;

/**
 * One of openbatch's functions, built one way: the shared Lambda zip on {@code java21} and arm64,
 * a role of its own that starts empty (no managed policy: each grant in the stack is what the
 * function uses), its own log group, a published version and the alias {@value #ALIAS} that every
 * caller invokes, so a deployment switches all callers to the new code at once.
 */
final class OpenBatchFunction extends Construct {

    static final String ALIAS = "live";

    /**
     * How one function differs from the others.
     *
     * @param handler     its class in {@code dev.openbatch.aws}, e.g. {@code ApiHandler}
     * @param description what it does, for the console
     * @param memoryMb    its memory
     * @param timeout     its timeout
     * @param environment its environment
     * @param snapStart   restore from a snapshot of its initialised version: for the request path
     */
    record Spec(
            String handler,
            String description,
            int memoryMb,
            Duration timeout,
            Map<String, String> environment,
            boolean snapStart) {}

    /** Network placement, for a function that must reach private endpoints. */
    record Placement(IVpc vpc, List<ISubnet> subnets, List<ISecurityGroup> securityGroups) {}

    /** What every function of a deployment shares. */
    record Shared(Code code, boolean tracing, int logRetentionDays, RemovalPolicy logRemoval) {}

    private final Role role;
    private final Function function;
    private final Alias alias;
    private final LogGroup logGroup;

    OpenBatchFunction(Construct scope, String id, Shared shared, Spec spec, Placement placement) {
        super(scope, id);
        role = Role.Builder.create(this, "Role")
                .assumedBy(new ServicePrincipal("lambda.amazonaws.com"))
                .description("openbatch " + spec.handler() + ": only what it uses")
                .build();
        logGroup = LogGroup.Builder.create(this, "Logs")
                .removalPolicy(shared.logRemoval())
                .build();
        // Any of CloudWatch's periods, checked by DeploymentConfig; the L2 names only some of them.
        ((CfnLogGroup) logGroup.getNode().getDefaultChild()).setRetentionInDays(shared.logRetentionDays());
        logGroup.grantWrite(role);

        Function.Builder builder = Function.Builder.create(this, "Function")
                .runtime(Runtime.JAVA_21)
                .architecture(Architecture.ARM_64)
                .code(shared.code())
                .handler("dev.openbatch.aws." + spec.handler() + "::handleRequest")
                .description(spec.description())
                .memorySize(spec.memoryMb())
                .timeout(spec.timeout())
                .environment(spec.environment())
                .role(role)
                .logGroup(logGroup)
                // Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords on "*" to the
                // role: X-Ray's API has no resource to name.
                .tracing(shared.tracing() ? Tracing.ACTIVE : Tracing.DISABLED)
                // A replaced version is deleted: nothing invokes it once the alias has moved on.
                .currentVersionOptions(VersionOptions.builder()
                        .removalPolicy(RemovalPolicy.DESTROY)
                        .build());
        if (spec.snapStart()) {
            builder.snapStart(SnapStartConf.ON_PUBLISHED_VERSIONS);
        }
        if (placement != null) {
            builder.vpc(placement.vpc())
                    .vpcSubnets(SubnetSelection.builder()
                            .subnets(placement.subnets())
                            .build());
            if (!placement.securityGroups().isEmpty()) {
                builder.securityGroups(placement.securityGroups());
            }
            // Lambda attaches the function to the subnets with its role's credentials. These EC2 actions
            // take "*": DescribeNetworkInterfaces has no resource-level permissions, and Lambda checks the
            // others against any resource when it creates the function (AWSLambdaVPCAccessExecutionRole
            // grants exactly these, also on "*").
            role.addToPrincipalPolicy(PolicyStatement.Builder.create()
                    .actions(List.of(
                            "ec2:CreateNetworkInterface",
                            "ec2:DescribeNetworkInterfaces",
                            "ec2:DescribeSubnets",
                            "ec2:DeleteNetworkInterface",
                            "ec2:AssignPrivateIpAddresses",
                            "ec2:UnassignPrivateIpAddresses"))
                    .resources(List.of("*"))
                    .build());
        }
        function = builder.build();
        if (spec.snapStart()) {
            ((OpenBatchStack) Stack.of(this))
                    .acknowledge(
                            function,
                            "@aws-cdk/aws-lambda:snapStartRequirePublish",
                            "the function is only invoked through its alias, on the version published below");
        }
        alias = Alias.Builder.create(this, "Alias")
                .aliasName(ALIAS)
                .version(function.getCurrentVersion())
                .build();
    }

    Role role() {
        return role;
    }

    Function function() {
        return function;
    }

    /** What callers invoke: API Gateway, Step Functions, the queue's event source, EventBridge. */
    Alias alias() {
        return alias;
    }

    LogGroup logGroup() {
        return logGroup;
    }
}
