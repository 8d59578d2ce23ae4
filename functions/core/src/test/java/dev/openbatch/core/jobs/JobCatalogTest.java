package dev.openbatch.core.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobCatalogTest {

    @Test
    void fromJson_readsJobsAuthAndDefault() {
        JobCatalog catalog = JobCatalog.fromJson("""
                {"default_job": "job-a",
                 "jobs": [{"id": "job-a", "base_url": "http://gpu:8000/v1", "concurrency": 128,
                           "auth": {"header": "Authorization", "value": "Bearer s3cret"}},
                          {"id": "job-b", "base_url": "https://other/v1"}]}""");

        Job a = catalog.find("job-a").orElseThrow();
        assertThat(a.single().baseUrl()).isEqualTo(URI.create("http://gpu:8000/v1"));
        assertThat(a.single().concurrency()).isEqualTo(128);
        assertThat(a.single().auth().name()).isEqualTo("Authorization");
        assertThat(a.single().auth().toString()).doesNotContain("s3cret");
        assertThat(catalog.find("job-b").orElseThrow().single().auth()).isNull();
        assertThat(catalog.defaultJob()).contains(a);
        assertThat(catalog.find("job-c")).isEmpty();
    }

    private static final String WITH_SECRETS = """
            {"jobs": [{"id": "job-a", "base_url": "https://a/v1",
                       "auth": {"header": "Authorization", "secret_arn": "arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf"}},
                      {"id": "job-b", "base_url": "https://b/v1",
                       "auth": {"header": "X-Api-Key", "secret_arn": "arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf"}},
                      {"id": "job-c", "base_url": "https://c/v1", "auth": {"header": "Authorization", "value": "Bearer c"}},
                      {"id": "job-d", "base_url": "https://d/v1"}]}""";

    @Test
    void secretArns_areTheSecretsOfTheJobsHeaders_eachOnce() {
        assertThat(JobCatalog.fromJson(WITH_SECRETS).secretArns())
                .containsExactly("arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf");
        assertThat(JobCatalog.fromJson("{\"jobs\":[{\"id\":\"job-a\",\"base_url\":\"http://h\"}]}")
                        .secretArns())
                .isEmpty();
    }

    @Test
    void aHeaderKeptInASecret_hasNoValueUntilRead_andTellsWhichSecretToRead() {
        Job a = JobCatalog.fromJson(WITH_SECRETS).find("job-a").orElseThrow();

        assertThatThrownBy(() -> a.single().auth().value())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf");
    }

    @Test
    void withSecrets_readsEachSecretOnce_andKeepsGivenValuesAndJobsWithoutAuth() {
        List<String> reads = new ArrayList<>();
        JobCatalog read = JobCatalog.fromJson(WITH_SECRETS).withSecrets(arn -> {
            reads.add(arn);
            return "Bearer from-the-secret";
        });

        assertThat(reads).containsExactly("arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf");
        assertThat(read.find("job-a").orElseThrow().single().auth().value()).isEqualTo("Bearer from-the-secret");
        assertThat(read.find("job-b").orElseThrow().single().auth().name()).isEqualTo("X-Api-Key");
        assertThat(read.find("job-b").orElseThrow().single().auth().value()).isEqualTo("Bearer from-the-secret");
        assertThat(read.find("job-a").orElseThrow().single().auth().toString()).doesNotContain("from-the-secret");
        assertThat(read.find("job-c").orElseThrow().single().auth().value()).isEqualTo("Bearer c");
        assertThat(read.find("job-d").orElseThrow().single().auth()).isNull();
        assertThat(read.find("job-a").orElseThrow().single().baseUrl()).isEqualTo(URI.create("https://a/v1"));
    }

    @Test
    void anAuthHeader_needsAHeaderAndEitherAValueOrASecret() {
        for (String auth : new String[] {
            "{\"header\":\"A\"}", "{\"value\":\"v\"}", "{\"header\":\"A\",\"value\":\"v\",\"secret_arn\":\"arn\"}"
        }) {
            assertThatThrownBy(() -> JobCatalog.fromJson(
                            "{\"jobs\":[{\"id\":\"job-a\",\"base_url\":\"http://h\",\"auth\":" + auth + "}]}"))
                    .as(auth)
                    .hasMessageContaining("job-a: auth needs a header and either a value or a secret_arn");
        }
    }

    @Test
    void tenants_nameWhoMayUseAJob_theFirstOwningItsDrops_andDefaultToTheDefaultTenant() {
        JobCatalog catalog = JobCatalog.fromJson("""
                {"jobs": [{"id": "job-a", "base_url": "http://gpu/v1", "tenants": ["ops", "research"]},
                          {"id": "job-b", "base_url": "http://gpu/v1"}]}""");

        Job a = catalog.find("job-a").orElseThrow();
        assertThat(a.tenants()).containsExactly("ops", "research");
        assertThat(a.dropOwner()).isEqualTo("ops");
        assertThat(catalog.find("job-a", "research")).contains(a);
        assertThat(catalog.find("job-a", "default")).isEmpty();
        assertThat(catalog.find("job-b").orElseThrow().tenants()).containsExactly("default");
        assertThat(catalog.find("job-b", "default")).isPresent();
        assertThat(catalog.find("job-b", "ops")).isEmpty();
        assertThatThrownBy(() ->
                        JobCatalog.fromJson("{\"jobs\":[{\"id\":\"job-a\",\"base_url\":\"http://h\",\"tenants\":[]}]}"))
                .hasMessageContaining("at least one");
    }

    @Test
    void aCatalogWithoutDefault_hasNone() {
        assertThat(JobCatalog.fromJson("{\"jobs\":[]}").defaultJob()).isEmpty();
    }

    @Test
    void badConfigurations_failFast() {
        assertThatThrownBy(() -> JobCatalog.fromJson("{\"default_job\":\"job-x\",\"jobs\":[]}"))
                .hasMessageContaining("job-x is not configured");
        assertThatThrownBy(() -> JobCatalog.fromJson("{\"jobs\":[{\"id\":\"gpu\",\"base_url\":\"http://h\"}]}"))
                .hasMessageContaining("starts with 'job-'");
        assertThatThrownBy(() -> JobCatalog.fromJson("{\"jobs\":[{\"id\":\"job-a\",\"base_url\":\"http://h\"},"
                        + "{\"id\":\"job-a\",\"base_url\":\"http://h\"}]}"))
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> JobCatalog.fromJson("{")).hasMessageContaining("not valid JSON");
    }
}
