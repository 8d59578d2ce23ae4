package dev.openbatch.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DeploymentConfigTest {

    private static final String JOBS = """
            "jobs": {"jobs": [{"id": "job-gpu", "base_url": "https://gpu/v1"}]}""";

    private static DeploymentConfig parse(String fields) {
        return DeploymentConfig.parse("{" + JOBS + (fields.isEmpty() ? "" : ", " + fields) + "}");
    }

    @Test
    void onlyJobsAreRequired_andEverythingElseHasItsDocumentedDefault() {
        DeploymentConfig config = parse("");

        assertThat(config.stackName()).isEqualTo("openbatch");
        assertThat(config.account()).isNull();
        assertThat(config.region()).isNull();
        assertThat(config.chunkLines()).isEqualTo(500);
        assertThat(config.mapConcurrency()).isEqualTo(10);
        assertThat(config.memoryMb()).isEqualTo(1024);
        assertThat(config.worker()).isEqualTo(new DeploymentConfig.Worker(1024, 900, 1, 20, 105));
        assertThat(config.encryption()).isEqualTo("s3");
        assertThat(config.kms()).isFalse();
        assertThat(config.tracing()).isFalse();
        assertThat(config.vpc()).isNull();
        assertThat(config.imageBuckets()).isEmpty();
        assertThat(config.imageTrustedHosts()).isEmpty();
        assertThat(config.authorizerCacheSeconds()).isEqualTo(60);
        assertThat(config.intermediateExpiryDays()).isEqualTo(35);
        assertThat(config.logRetentionDays()).isEqualTo(30);
        assertThat(config.retainData()).isTrue();
        assertThat(config.alarmEmail()).isNull();
        assertThat(config.jobsJson()).isEqualTo("{\"jobs\":[{\"id\":\"job-gpu\",\"base_url\":\"https://gpu/v1\"}]}");
    }

    @Test
    void theExampleFile_isAValidConfiguration() {
        DeploymentConfig example = DeploymentConfig.read(Path.of("../cdk/config/example.json"));

        assertThat(example.jobCatalog().defaultJob()).isPresent();
        assertThat(example.jobCatalog().secretArns()).hasSize(1);
    }

    @Test
    void aMissingFile_saysHowToMakeOne() {
        assertThatThrownBy(() -> DeploymentConfig.read(Path.of("target/no-such-config.json")))
                .hasMessageContaining("copy infra/cdk/config/example.json");
    }

    @Test
    void aCredentialGivenInTheFile_isRefused_forItWouldSitInTheTemplate() {
        assertThatThrownBy(() -> DeploymentConfig.parse("""
                {"jobs": {"jobs": [{"id": "job-gpu", "base_url": "https://gpu/v1",
                                    "auth": {"header": "Authorization", "value": "Bearer sk-live"}}]}}"""))
                .hasMessageContaining("job-gpu")
                .hasMessageContaining("Secrets Manager")
                .hasMessageNotContaining("sk-live");
    }

    @Test
    void aSecretIsNamedByItsCompleteArn() {
        assertThatThrownBy(() -> DeploymentConfig.parse("""
                {"jobs": {"jobs": [{"id": "job-gpu", "base_url": "https://gpu/v1",
                                    "auth": {"header": "Authorization", "secret_arn": "openbatch/gpu"}}]}}""")).hasMessageContaining("complete ARN");
        assertThat(DeploymentConfig.parse("""
                {"jobs": {"jobs": [{"id": "job-gpu", "base_url": "https://gpu/v1",
                                    "auth": {"header": "Authorization",
                                             "secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:openbatch/gpu-Ab12Cd"}}]}}""").jobCatalog().secretArns())
                .containsExactly("arn:aws:secretsmanager:us-east-1:123456789012:secret:openbatch/gpu-Ab12Cd");
    }

    @Test
    void locally_aJobsSecret_isReplacedByItsValue_andTheOtherJobsAreLeftAlone() {
        DeploymentConfig config = DeploymentConfig.parse("""
                {"jobs": {"default_job": "job-gpu",
                          "jobs": [{"id": "job-gpu", "base_url": "https://gpu/v1",
                                    "auth": {"header": "Authorization",
                                             "secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:openbatch/gpu-Ab12Cd"}},
                                   {"id": "job-open", "base_url": "https://open/v1"}]}}""");

        String local = config.jobsJsonWithCredentials(job -> "Bearer " + job);

        assertThat(dev.openbatch.core.jobs.JobCatalog.fromJson(local)
                        .find("job-gpu")
                        .orElseThrow()
                        .single()
                        .auth())
                .isEqualTo(new dev.openbatch.core.jobs.Job.AuthHeader("Authorization", "Bearer job-gpu"));
        assertThat(local).doesNotContain("secret_arn").contains("job-open");
        assertThat(config.jobsJson()).contains("secret_arn");
    }

    private static final String POOL_SECRET =
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:openbatch/gpu-2-Ab12Cd";

    @Test
    void aJobOfSeveralEndpoints_takesEachEndpointsCredentialFromItsOwnSecret_andLocallyFromTheEndpointsKey() {
        DeploymentConfig config = DeploymentConfig.parse("""
                {"jobs": {"jobs": [{"id": "job-pool", "endpoints": [
                            {"base_url": "https://gpu-1/v1", "models": ["llama"], "concurrency": 8},
                            {"base_url": "https://gpu-2/v1", "models": ["llama", "qwen"], "concurrency": 4,
                             "auth": {"header": "Authorization", "secret_arn": "%s"}}]}]}}""".formatted(POOL_SECRET));

        assertThat(config.jobCatalog().secretArns()).containsExactly(POOL_SECRET);
        dev.openbatch.core.jobs.Job local = dev.openbatch.core.jobs.JobCatalog.fromJson(
                        config.jobsJsonWithCredentials(key -> "Bearer " + key))
                .find("job-pool")
                .orElseThrow();
        assertThat(local.endpoints().get(0).auth()).isNull();
        assertThat(local.endpoints().get(1).auth().value()).isEqualTo("Bearer job-pool/1");
        assertThat(local.serving("qwen")).extracting(e -> e.baseUrl().getHost()).containsExactly("gpu-2");
    }

    @Test
    void anEndpointsCredentialGivenInTheFile_isRefused_namingTheEndpoint() {
        assertThatThrownBy(() -> DeploymentConfig.parse("""
                        {"jobs": {"jobs": [{"id": "job-pool", "endpoints": [
                                    {"base_url": "https://gpu-1/v1"},
                                    {"base_url": "https://gpu-2/v1", "auth": {"header": "Authorization", "value": "Bearer x"}}]}]}}"""))
                .hasMessageContaining("endpoint job-pool/1")
                .hasMessageContaining("Secrets Manager");
    }

    @Test
    void aMisspeltField_isAnError_notAnOptionSilentlyLeftOut() {
        assertThatThrownBy(() -> parse("\"tracng\": true")).hasMessageContaining("tracng");
        assertThatThrownBy(() -> parse("\"worker\": {\"max_concurency\": 5}")).hasMessageContaining("max_concurency");
    }

    @Test
    void valuesOutsideWhatAwsOrThePipelineAccepts_areRefused_namingTheField() {
        for (List<String> bad : List.of(
                List.of("\"chunk_lines\": 0", "chunk_lines"),
                List.of("\"worker\": {\"timeout_seconds\": 901}", "worker.timeout_seconds"),
                List.of("\"worker\": {\"max_concurrency\": 1}", "worker.max_concurrency"),
                List.of("\"worker\": {\"batch_size\": 11}", "worker.batch_size"),
                List.of("\"worker\": {\"request_timeout_seconds\": 0}", "worker.request_timeout_seconds"),
                List.of("\"map_concurrency\": 41", "map_concurrency"),
                List.of("\"encryption\": \"aes\"", "encryption"),
                List.of("\"intermediate_expiry_days\": 30", "intermediate_expiry_days"),
                List.of("\"log_retention_days\": 31", "log_retention_days"),
                List.of("\"authorizer_cache_seconds\": 3601", "authorizer_cache_seconds"),
                List.of("\"image_buckets\": [\"Not_A_Bucket\"]", "image_buckets"),
                List.of("\"image_buckets\": [\"images:12\"]", "image_buckets"),
                List.of("\"vpc\": {\"vpc_id\": \"vpc-1\"}", "subnet_ids"))) {
            assertThatThrownBy(() -> parse(bad.get(0))).as(bad.get(0)).hasMessageContaining(bad.get(1));
        }
        assertThatThrownBy(() -> DeploymentConfig.parse("{}")).hasMessageContaining("jobs is required");
        String manyJobs = IntStream.range(0, 60)
                .mapToObj(i -> "{\"id\": \"job-" + i + "\", \"base_url\": \"https://gpu-" + i + ".example.com/v1\"}")
                .collect(Collectors.joining(", ", "{\"jobs\": {\"jobs\": [", "]}}"));
        assertThatThrownBy(() -> DeploymentConfig.parse(manyJobs)).hasMessageContaining("4 KB");
        assertThatThrownBy(() ->
                        DeploymentConfig.parse("{\"jobs\": {\"jobs\": [{\"id\": \"gpu\", \"base_url\": \"h\"}]}}"))
                .hasMessageContaining("starts with 'job-'");
    }
}
