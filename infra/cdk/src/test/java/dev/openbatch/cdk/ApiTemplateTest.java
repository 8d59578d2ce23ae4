package dev.openbatch.cdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** The HTTP API, its key authorizer, and the functions behind everything: java21, arm64, through an alias. */
class ApiTemplateTest {

    private static final List<String> HANDLERS = List.of(
            "ApiHandler",
            "AuthorizerHandler",
            "ValidateHandler",
            "WorkerHandler",
            "FinalizeHandler",
            "IngestHandler",
            "DeadLetterHandler",
            "SweeperHandler",
            "WebhookSenderHandler");

    private static Map<String, Object> handler(String name) {
        return Map.of("Handler", "dev.openbatch.aws." + name + "::handleRequest");
    }

    @Test
    void everyFunction_runsTheSharedZip_onJava21_arm64() {
        Template template = Synth.minimal().template();
        template.resourceCountIs("AWS::Lambda::Function", HANDLERS.size());
        Capture zip = new Capture();
        template.allResourcesProperties(
                "AWS::Lambda::Function",
                Map.of(
                        "Runtime", "java21",
                        "Architectures", List.of("arm64"),
                        "Code", Map.of("S3Bucket", Match.anyValue(), "S3Key", zip)));
        String first = zip.asString();
        while (zip.next()) {
            assertThat(zip.asString()).isEqualTo(first).endsWith(".zip");
        }
        for (String name : HANDLERS) {
            template.hasResourceProperties("AWS::Lambda::Function", handler(name));
        }
    }

    @Test
    void theApiFunctions_restoreFromSnapStart_andTheOthersStartPlainly() {
        Template template = Synth.minimal().template();
        for (String name : List.of("ApiHandler", "AuthorizerHandler")) {
            template.hasResourceProperties(
                    "AWS::Lambda::Function",
                    Match.objectLike(Map.of(
                            "Handler",
                            handler(name).get("Handler"),
                            "SnapStart",
                            Map.of("ApplyOn", "PublishedVersions"))));
        }
        assertThat(template.findResources(
                        "AWS::Lambda::Function",
                        Map.of("Properties", Match.objectLike(Map.of("SnapStart", Match.anyValue())))))
                .hasSize(2);
    }

    @Test
    void everyFunction_isCalledThroughItsLiveAlias_onAPublishedVersion() {
        Template template = Synth.minimal().template();
        template.resourceCountIs("AWS::Lambda::Version", HANDLERS.size());
        template.resourceCountIs("AWS::Lambda::Alias", HANDLERS.size());
        template.allResourcesProperties(
                "AWS::Lambda::Alias",
                Map.of(
                        "Name",
                        "live",
                        "FunctionVersion",
                        Map.of("Fn::GetAtt", List.of(Match.stringLikeRegexp("CurrentVersion"), "Version"))));
        // API Gateway, EventBridge and the event source all name an alias, never the unqualified function.
        template.allResourcesProperties(
                "AWS::Lambda::Permission", Map.of("FunctionName", Map.of("Ref", Match.stringLikeRegexp("Alias"))));
        template.hasResourceProperties(
                "AWS::Lambda::EventSourceMapping",
                Map.of(
                        "FunctionName",
                        Map.of(
                                "Fn::Join",
                                List.of(
                                        "",
                                        List.of(
                                                Map.of(
                                                        "Fn::Select",
                                                        List.of(
                                                                6,
                                                                Map.of(
                                                                        "Fn::Split",
                                                                        List.of(
                                                                                ":",
                                                                                Map.of(
                                                                                        "Ref",
                                                                                        Match.stringLikeRegexp(
                                                                                                "^WorkerFunctionAlias")))))),
                                                ":live")))));
    }

    @Test
    void theApi_routesEveryV1Request_throughTheKeyAuthorizer_toTheApiAlias() {
        Template template = Synth.minimal().template();
        template.resourceCountIs("AWS::ApiGatewayV2::Api", 1);
        template.hasResourceProperties("AWS::ApiGatewayV2::Api", Map.of("ProtocolType", "HTTP"));
        template.resourceCountIs("AWS::ApiGatewayV2::Route", 3);
        template.hasResourceProperties(
                "AWS::ApiGatewayV2::Route",
                Map.of(
                        "RouteKey", "ANY /v1/{proxy+}",
                        "AuthorizationType", "CUSTOM",
                        "AuthorizerId", Map.of("Ref", Match.stringLikeRegexp("ApiKeyAuthorizer"))));
        template.hasResourceProperties(
                "AWS::ApiGatewayV2::Integration",
                Map.of(
                        "IntegrationType", "AWS_PROXY",
                        "PayloadFormatVersion", "2.0",
                        "IntegrationUri", Map.of("Ref", Match.stringLikeRegexp("^ApiFunctionAlias"))));
    }

    @Test
    void theConsole_isRoutedToTheApiAlias_withoutTheAuthorizer_forGetOnly() {
        Template template = Synth.minimal().template();
        Capture integration = new Capture();
        template.hasResourceProperties(
                "AWS::ApiGatewayV2::Route",
                Map.of(
                        "RouteKey",
                        "ANY /v1/{proxy+}",
                        "Target",
                        Map.of("Fn::Join", List.of("", List.of("integrations/", integration)))));
        for (String routeKey : List.of("GET /console", "GET /console/{proxy+}")) {
            template.hasResourceProperties(
                    "AWS::ApiGatewayV2::Route",
                    Map.of(
                            "RouteKey",
                            routeKey,
                            "AuthorizationType",
                            "NONE",
                            // The same integration as /v1: the API function's alias.
                            "Target",
                            Map.of("Fn::Join", List.of("", List.of("integrations/", integration.asObject())))));
        }
        template.resourceCountIs("AWS::ApiGatewayV2::Integration", 1);
        assertThat(template.findResources(
                        "AWS::ApiGatewayV2::Route",
                        Map.of("Properties", Match.objectLike(Map.of("AuthorizerId", Match.anyValue())))))
                .hasSize(1);
    }

    @Test
    void theConsoleUrl_isAnOutput_beside_theApiBaseUrl() {
        Synth.minimal().template().hasOutput("ConsoleUrl", Map.of("Value", onTheApiEndpoint("/console")));
    }

    /** The HTTP API's endpoint URL with a path after it, as CloudFormation joins them. */
    private static Map<String, Object> onTheApiEndpoint(String path) {
        return Map.of(
                "Fn::Join",
                List.of(
                        "",
                        List.of(
                                Map.of(
                                        "Fn::GetAtt",
                                        List.of(Match.stringLikeRegexp("^Api[0-9A-F]{8}$"), "ApiEndpoint")),
                                path)));
    }

    @Test
    void theAuthorizer_readsTheBearerHeader_answersSimply_andCachesAsConfigured() {
        Map<String, Object> authorizer = Map.of(
                "AuthorizerType",
                "REQUEST",
                "AuthorizerPayloadFormatVersion",
                "2.0",
                "EnableSimpleResponses",
                true,
                "IdentitySource",
                List.of("$request.header.Authorization"),
                "AuthorizerUri",
                Map.of(
                        "Fn::Join",
                        List.of(
                                "",
                                Match.arrayWith(
                                        List.of(Map.of("Ref", Match.stringLikeRegexp("^AuthorizerFunctionAlias")))))));
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::ApiGatewayV2::Authorizer",
                        Match.objectLike(Synth.with(authorizer, "AuthorizerResultTtlInSeconds", 60)));
        Synth.full()
                .template()
                .hasResourceProperties(
                        "AWS::ApiGatewayV2::Authorizer",
                        Match.objectLike(Synth.with(authorizer, "AuthorizerResultTtlInSeconds", 0)));
    }

    @Test
    void theApiFunction_stopsBeforeApiGatewayDoes_andKnowsWhereEverythingIs() {
        Synth.minimal()
                .template()
                .hasResourceProperties(
                        "AWS::Lambda::Function",
                        Map.of(
                                "Handler", handler("ApiHandler").get("Handler"),
                                "Timeout", 29,
                                "Environment",
                                        Map.of(
                                                "Variables",
                                                Map.of(
                                                        "OPENBATCH_BUCKET",
                                                                Map.of("Ref", Match.stringLikeRegexp("^DataBucket")),
                                                        "OPENBATCH_FILES_TABLE",
                                                                Map.of("Ref", Match.stringLikeRegexp("^FilesTable")),
                                                        "OPENBATCH_BATCHES_TABLE",
                                                                Map.of("Ref", Match.stringLikeRegexp("^BatchesTable")),
                                                        "OPENBATCH_STATE_MACHINE_ARN",
                                                                Map.of(
                                                                        "Ref",
                                                                        Match.stringLikeRegexp("^BatchStateMachine")),
                                                        "OPENBATCH_JOBS",
                                                                Match.serializedJson(Map.of(
                                                                        "default_job",
                                                                        "job-gpu",
                                                                        "jobs",
                                                                        List.of(Map.of(
                                                                                "id",
                                                                                "job-gpu",
                                                                                "base_url",
                                                                                "https://gpu.example.com/v1",
                                                                                "concurrency",
                                                                                64,
                                                                                "tenants",
                                                                                List.of("team-a"))))),
                                                        "OPENBATCH_CHUNK_LINES", "500",
                                                        "OPENBATCH_MAP_CONCURRENCY", "10"))));
    }

    @Test
    void theAuthorizer_alone_knowsTheKeysTable() {
        Template template = Synth.minimal().template();
        template.hasResourceProperties(
                "AWS::Lambda::Function",
                Map.of(
                        "Handler", handler("AuthorizerHandler").get("Handler"),
                        "Environment",
                                Map.of(
                                        "Variables",
                                        Match.objectLike(Map.of(
                                                "OPENBATCH_KEYS_TABLE",
                                                Map.of("Ref", Match.stringLikeRegexp("^KeysTable")))))));
        assertThat(template.findResources(
                        "AWS::Lambda::Function",
                        Map.of(
                                "Properties",
                                Match.objectLike(Map.of(
                                        "Environment",
                                        Map.of(
                                                "Variables",
                                                Match.objectLike(Map.of("OPENBATCH_KEYS_TABLE", Match.anyValue()))))))))
                .hasSize(1);
    }

    @Test
    void theWorker_getsTheImageSettings_andItsVpcPlacement() {
        Synth.full()
                .template()
                .hasResourceProperties(
                        "AWS::Lambda::Function",
                        Map.of(
                                "Handler", handler("WorkerHandler").get("Handler"),
                                "MemorySize", 3008,
                                "Timeout", 600,
                                "TracingConfig", Map.of("Mode", "Active"),
                                "Environment",
                                        Map.of(
                                                "Variables",
                                                Match.objectLike(Map.of(
                                                        "OPENBATCH_IMAGE_BUCKETS", "images-us,images-eu:210987654321",
                                                        "OPENBATCH_IMAGE_TRUSTED_HOSTS", "images.internal",
                                                        "OPENBATCH_CHUNK_LINES", "250",
                                                        "OPENBATCH_MAP_CONCURRENCY", "4"))),
                                "VpcConfig",
                                        Map.of(
                                                "SubnetIds",
                                                        List.of("subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60718"),
                                                "SecurityGroupIds", List.of("sg-0c1d2e3f4a5b60718"))));
        assertThat(Synth.full()
                        .template()
                        .findResources(
                                "AWS::Lambda::Function",
                                Map.of("Properties", Match.objectLike(Map.of("VpcConfig", Match.anyValue())))))
                .hasSize(1);
    }

    @Test
    void theJobsCredential_isNamedBySecret_neverGivenInTheTemplate() {
        Template template = Synth.full().template();
        template.allResourcesProperties(
                "AWS::Lambda::Function",
                Map.of(
                        "Environment",
                        Map.of(
                                "Variables",
                                Match.objectLike(
                                        Map.of(
                                                "OPENBATCH_JOBS",
                                                Match.serializedJson(
                                                        Match.objectLike(
                                                                Map.of(
                                                                        "jobs",
                                                                        Match.arrayWith(
                                                                                List.of(
                                                                                        Map.of(
                                                                                                "id",
                                                                                                "job-gpu",
                                                                                                "base_url",
                                                                                                "https://gpu.internal/v1",
                                                                                                "concurrency",
                                                                                                128,
                                                                                                "auth",
                                                                                                Map.of(
                                                                                                        "header",
                                                                                                        "Authorization",
                                                                                                        "secret_arn",
                                                                                                        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:openbatch/gpu-AbCdEf"))))))))))));
    }

    @Test
    void theOutputs_areTheApiBaseUrl_theBuckets_theKeysTable_andTheStateMachine() {
        Template template = Synth.minimal().template();
        template.hasOutput("ApiBaseUrl", Map.of("Value", onTheApiEndpoint("/v1")));
        template.hasOutput("DataBucketName", Map.of("Value", Map.of("Ref", Match.stringLikeRegexp("^DataBucket"))));
        template.hasOutput("IngestBucketName", Map.of("Value", Map.of("Ref", Match.stringLikeRegexp("^IngestBucket"))));
        template.hasOutput("KeysTableName", Map.of("Value", Map.of("Ref", Match.stringLikeRegexp("^KeysTable"))));
        template.hasOutput(
                "StateMachineArn", Map.of("Value", Map.of("Ref", Match.stringLikeRegexp("^BatchStateMachine"))));
    }
}
