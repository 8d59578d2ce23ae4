package dev.openbatch.core.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
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
        assertThat(a.baseUrl()).isEqualTo(URI.create("http://gpu:8000/v1"));
        assertThat(a.concurrency()).isEqualTo(128);
        assertThat(a.auth().name()).isEqualTo("Authorization");
        assertThat(a.auth().toString()).doesNotContain("s3cret");
        assertThat(catalog.find("job-b").orElseThrow().auth()).isNull();
        assertThat(catalog.defaultJob()).contains(a);
        assertThat(catalog.find("job-c")).isEmpty();
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
        assertThatThrownBy(() -> JobCatalog.fromJson("{\"jobs\":[{\"id\":\"job-a\",\"base_url\":\"http://h\",\"tenants\":[]}]}"))
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
                + "{\"id\":\"job-a\",\"base_url\":\"http://h\"}]}")).hasMessageContaining("twice");
        assertThatThrownBy(() -> JobCatalog.fromJson("{")).hasMessageContaining("not valid JSON");
    }
}
