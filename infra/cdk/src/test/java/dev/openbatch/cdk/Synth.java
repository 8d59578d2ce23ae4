package dev.openbatch.cdk;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.openbatch.core.Json;
import dev.openbatch.deployment.DeploymentConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awscdk.App;
import software.amazon.awscdk.assertions.Template;

/**
 * Synthesizes the stack of a configuration as {@code cdk synth} does (the feature flags of cdk.json,
 * the app's own stack factory), once per configuration for all the tests of this JVM: a synthesis
 * takes seconds.
 *
 * @param stack    the synthesized stack, for annotations
 * @param template its CloudFormation template
 */
record Synth(OpenBatchStack stack, Template template) {

    /** A deployment with one job and nothing optional: S3-managed encryption, no VPC, no tracing. */
    static final String MINIMAL = """
            {"region": "eu-west-1",
             "jobs": {"default_job": "job-gpu",
                      "jobs": [{"id": "job-gpu", "base_url": "https://gpu.example.com/v1", "concurrency": 64,
                                "tenants": ["team-a"]}]}}""";

    /** Every option taken: KMS, tracing, a VPC, a job credential in Secrets Manager, image buckets, alarm mail. */
    static final String FULL = """
            {"account": "123456789012", "region": "eu-west-1", "stack_name": "openbatch-full",
             "jobs": {"default_job": "job-gpu",
                      "jobs": [{"id": "job-gpu", "base_url": "https://gpu.internal/v1", "concurrency": 128,
                                "auth": {"header": "Authorization",
                                         "secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:openbatch/gpu-AbCdEf"}},
                               {"id": "job-embed", "base_url": "https://embed.internal/v1"}]},
             "chunk_lines": 250, "map_concurrency": 4, "memory_mb": 2048,
             "worker": {"memory_mb": 3008, "timeout_seconds": 600, "batch_size": 2, "max_concurrency": 50},
             "encryption": "kms", "tracing": true,
             "vpc": {"vpc_id": "vpc-0a1b2c3d4e5f60718", "availability_zones": ["eu-west-1a", "eu-west-1b"],
                     "subnet_ids": ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60718"],
                     "security_group_ids": ["sg-0c1d2e3f4a5b60718"]},
             "image_buckets": ["images-us", "images-eu:210987654321"],
             "image_trusted_hosts": ["images.internal"],
             "authorizer_cache_seconds": 0, "intermediate_expiry_days": 40, "log_retention_days": 90,
             "retain_data": false, "alarm_email": "ops@example.com"}""";

    private static final Map<String, Synth> SYNTHESIZED = new ConcurrentHashMap<>();

    static Synth of(String configJson) {
        return SYNTHESIZED.computeIfAbsent(configJson, json -> {
            App app = App.Builder.create().context(cdkJsonContext()).build();
            OpenBatchStack stack = OpenBatchApp.stack(app, DeploymentConfig.parse(json));
            app.synth();
            return new Synth(stack, Template.fromStack(stack));
        });
    }

    static Synth minimal() {
        return of(MINIMAL);
    }

    static Synth full() {
        return of(FULL);
    }

    /** A copy of a template fragment with one more property. */
    static Map<String, Object> with(Map<String, Object> map, String key, Object value) {
        Map<String, Object> copy = new HashMap<>(map);
        copy.put(key, value);
        return copy;
    }

    /** The feature flags the CLI passes to the app, from cdk.json. */
    static Map<String, Object> cdkJsonContext() {
        try {
            Map<String, Object> cdkJson = Json.MAPPER.readValue(
                    Files.readString(Path.of("cdk.json")), new TypeReference<Map<String, Object>>() {});
            @SuppressWarnings("unchecked")
            Map<String, Object> context = (Map<String, Object>) cdkJson.get("context");
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
