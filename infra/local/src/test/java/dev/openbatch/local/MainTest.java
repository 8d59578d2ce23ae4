package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openbatch.core.jobs.Job;
import dev.openbatch.core.jobs.JobCatalog;
import dev.openbatch.deployment.CloudLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/local's command line: its help, its refusals in one line, and a deployment's file read as the CDK app reads it. */
class MainTest {

    private static final Path EXAMPLE = Path.of("../cdk/config/example.json");
    private static final Map<String, String> CREDENTIAL = Map.of("OPENBATCH_SECRET_JOB_GPU", "Bearer sk-local-gpu");

    @TempDir
    Path dir;

    private static LocalRuntime.Options parse(Map<String, String> env, String... args) {
        Main.Command command = Main.parse(args, env);
        assertThat(command.help()).isFalse();
        return command.options();
    }

    private Path config(String json) throws IOException {
        Path file = dir.resolve("openbatch.json");
        Files.writeString(file, json);
        return file;
    }

    @Test
    void help_listsEveryOptionWithItsDefault_inOneScreen() {
        assertThat(Main.parse(new String[] {"--port", "9000", "--help"}, Map.of())
                        .help())
                .isTrue();
        String help = Main.help();

        for (Main.Option option : Main.OPTIONS) {
            assertThat(help).contains(option.name());
            if (!option.name().equals("--help")) {
                assertThat(option.meaning()).as(option.name()).contains("default");
            }
        }
        assertThat(help.lines().count()).isLessThanOrEqualTo(25);
        assertThat(help.lines().mapToInt(String::length).max().orElseThrow()).isLessThanOrEqualTo(100);
    }

    @Test
    void aBadValue_isOneLineNamingTheOptionAndTheValue() {
        assertThatThrownBy(() -> Main.parse(new String[] {"--port", "abc"}, Map.of()))
                .isInstanceOf(Main.UsageException.class)
                .hasMessage("--port abc: expected a port number, 0 to 65535");
        assertThatThrownBy(() -> Main.parse(new String[] {"--concurrency", "0"}, Map.of()))
                .hasMessageStartingWith("--concurrency 0: expected a whole number from 1");
        assertThatThrownBy(() -> Main.parse(new String[] {"--endpoint", "gpu:8000"}, Map.of()))
                .hasMessageStartingWith("--endpoint gpu:8000");
        assertThatThrownBy(() -> Main.parse(new String[] {"--chunk-lines"}, Map.of()))
                .hasMessage("option --chunk-lines needs a value: --chunk-lines N");
        assertThatThrownBy(() -> Main.parse(new String[0], Map.of("OPENBATCH_PORT", "http")))
                .hasMessageStartingWith("env OPENBATCH_PORT http");
    }

    @Test
    void replicasOrSeveralEndpoints_makeJobLocalAPool_eachEndpointOfTheGivenConcurrency() {
        LocalRuntime.Options replicas =
                Main.parse(new String[] {"--replicas", "3"}, Map.of()).options();
        assertThat(replicas.replicas()).isEqualTo(3);
        assertThat(replicas.jobs())
                .as("the runtime makes the pool of the endpoints it starts")
                .isNull();

        LocalRuntime.Options endpoints = Main.parse(
                        new String[] {"--endpoint", "http://gpu-1:8000/v1,http://gpu-2:8000/v1", "--concurrency", "32"},
                        Map.of())
                .options();
        Job pool = JobCatalog.fromJson(endpoints.jobs()).defaultJob().orElseThrow();
        assertThat(pool.id()).isEqualTo("job-local");
        assertThat(pool.endpoints())
                .extracting(e -> e.baseUrl().getHost(), Job.Endpoint::concurrency)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("gpu-1", 32),
                        org.assertj.core.groups.Tuple.tuple("gpu-2", 32));
        assertThatThrownBy(() -> Main.parse(new String[] {"--replicas", "2", "--endpoint", "http://h/v1"}, Map.of()))
                .hasMessageStartingWith("--replicas and --endpoint");
        assertThatThrownBy(() -> Main.parse(new String[] {"--endpoint", "http://h/v1,gpu:8000"}, Map.of()))
                .hasMessageStartingWith("--endpoint gpu:8000");
    }

    @Test
    void anUnknownOption_isOneLineNamingIt() {
        assertThatThrownBy(() -> Main.parse(new String[] {"--prot", "8080"}, Map.of()))
                .isInstanceOf(Main.UsageException.class)
                .hasMessage("unknown option --prot (bin/local --help lists the options)");
    }

    @Test
    void aChunkSizeThatBreaksStepFunctionsLimits_isRefusedOnTheCommandLineToo() {
        int least = CloudLimits.minChunkLinesForHistory();

        assertThat(parse(Map.of(), "--chunk-lines", Integer.toString(least)).chunkLines())
                .isEqualTo(least);
        assertThatThrownBy(() -> Main.parse(new String[] {"--chunk-lines", Integer.toString(least - 1)}, Map.of()))
                .hasMessageStartingWith("--chunk-lines " + (least - 1) + ": chunk_lines " + (least - 1) + " would cut")
                .hasMessageEndingWith("chunk_lines must be at least " + least);
    }

    @Test
    void withoutAConfiguration_theRuntimeRunsTodaysDefaults_withOneJobOfItsOwn() {
        LocalRuntime.Options options = parse(Map.of());

        assertThat(options.jobs()).isNull();
        assertThat(options.endpoint()).isNull();
        assertThat(options.apiPort()).isEqualTo(8080);
        assertThat(options.host()).isEqualTo("127.0.0.1");
        assertThat(options.chunkLines()).isEqualTo(500);
        assertThat(options.mapConcurrency()).isEqualTo(10);
        assertThat(options.workers()).isEqualTo(10);
        assertThat(options.jobConcurrency()).isEqualTo(64);
        assertThat(options.workerTimeout()).isEqualTo(Duration.ofSeconds(900));
        assertThat(options.workerBatchSize()).isEqualTo(1);
        assertThat(options.retries().requestTimeout())
                .isEqualTo(Duration.ofSeconds(CloudLimits.longestRequestTimeout(900)));
        assertThat(options.images().buckets()).containsExactly("openbatch-images");
        assertThat(options.tenants()).isEmpty();
    }

    @Test
    void theExampleConfiguration_runsAsTheStackWouldDeployIt() throws IOException {
        LocalRuntime.Options options =
                parse(CREDENTIAL, "--config", config(Files.readString(EXAMPLE)).toString(), "--port", "0");

        assertThat(options.apiPort()).isZero();
        assertThat(options.chunkLines()).isEqualTo(500);
        assertThat(options.mapConcurrency()).isEqualTo(10);
        assertThat(options.workers()).as("worker.max_concurrency").isEqualTo(20);
        assertThat(options.workerTimeout()).isEqualTo(Duration.ofSeconds(900));
        assertThat(options.workerBatchSize()).isEqualTo(1);
        assertThat(options.retries().requestTimeout()).isEqualTo(Duration.ofSeconds(105));
        assertThat(options.images().buckets()).isEmpty();
        assertThat(options.tenants()).as("API keys, for the jobs' tenants").containsExactly("team-a");
        JobCatalog jobs = JobCatalog.fromJson(options.jobs());
        assertThat(jobs.defaultJob().orElseThrow().id()).isEqualTo("job-gpu");
        assertThat(jobs.find("job-gpu").orElseThrow().single().auth())
                .isEqualTo(new Job.AuthHeader("Authorization", "Bearer sk-local-gpu"));
        assertThat(options.endpoint()).hasToString("https://gpu.example.com/v1");
    }

    @Test
    void aConfigurationsValues_reachTheRuntime_andTheWorkerTimeoutCanBeShortened() throws IOException {
        Path file = config("""
                {"jobs": {"jobs": [{"id": "job-a", "base_url": "http://127.0.0.1:9/v1", "tenants": ["t1", "t2"]}]},
                 "chunk_lines": 100, "map_concurrency": 40,
                 "worker": {"timeout_seconds": 600, "batch_size": 3, "max_concurrency": 7, "request_timeout_seconds": 30},
                 "image_buckets": ["pictures", "photos:123456789012"], "image_trusted_hosts": ["images.internal"]}""");

        LocalRuntime.Options options = parse(
                Map.of(),
                "--config",
                file.toString(),
                "--worker-timeout-seconds",
                "5",
                "--bucket-region",
                "photos=eu-west-1",
                "--allow-http-images");

        assertThat(options.chunkLines()).isEqualTo(100);
        assertThat(options.mapConcurrency()).isEqualTo(40);
        assertThat(options.workers()).isEqualTo(7);
        assertThat(options.workerBatchSize()).isEqualTo(3);
        assertThat(options.workerTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(options.retries().requestTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(options.images().buckets()).containsExactly("pictures", "photos:123456789012");
        assertThat(options.images().trustedHosts()).containsExactly("images.internal");
        assertThat(options.images().bucketRegions()).isEqualTo(Map.of("photos", "eu-west-1"));
        assertThat(options.images().allowHttp()).isTrue();
        assertThat(options.tenants()).containsExactly("t1", "t2");
        assertThat(parse(Map.of(), "--worker-timeout-seconds", "5").workerTimeout())
                .isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void webhookHostsAndPlainHttp_areTrustedOnlyWhenAskedFor() {
        LocalRuntime.Options options =
                parse(Map.of(), "--webhook-hosts", "127.0.0.1,localhost", "--allow-http-webhooks");
        assertThat(options.webhooks().trustedHosts()).containsExactlyInAnyOrder("127.0.0.1", "localhost");
        assertThat(options.webhooks().allowHttp()).isTrue();
        assertThat(options.images().allowHttp()).isFalse();

        LocalRuntime.Options strict = parse(Map.of());
        assertThat(strict.webhooks().trustedHosts()).isEmpty();
        assertThat(strict.webhooks().allowHttp()).isFalse();
        assertThat(strict.webhooks().retries()).isEqualTo(dev.openbatch.core.webhooks.RetrySchedule.DEFAULT);
    }

    @Test
    void aConfigurationThatCouldBreakALimit_isRefused_inOneLineNamingTheSettingAndTheBound() throws IOException {
        Path file = config("""
                {"jobs": {"jobs": [{"id": "job-a", "base_url": "http://127.0.0.1:9/v1"}]}, "chunk_lines": 10}""");

        assertThatThrownBy(() -> Main.parse(new String[] {"--config", file.toString()}, Map.of()))
                .isInstanceOf(Main.UsageException.class)
                .hasMessageStartingWith("--config " + file + ": chunk_lines 10 would cut 50,000 lines")
                .hasMessageEndingWith("chunk_lines must be at least " + CloudLimits.minChunkLinesForHistory())
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aJobsSecret_withoutItsVariable_isRefusedNamingTheVariable() throws IOException {
        Path file = config(Files.readString(EXAMPLE));

        assertThatThrownBy(() -> Main.parse(new String[] {"--config", file.toString()}, Map.of()))
                .hasMessage("job job-gpu names its credential by auth.secret_arn, and there is no Secrets Manager here:"
                        + " set OPENBATCH_SECRET_JOB_GPU to the header's value");
    }

    @Test
    void anOptionTheFileSets_isRefusedBesideIt_forTheFileIsWhatIsDeployed() throws IOException {
        Path file = config(Files.readString(EXAMPLE));

        assertThatThrownBy(() ->
                        Main.parse(new String[] {"--chunk-lines", "100", "--config", file.toString()}, CREDENTIAL))
                .hasMessage("--chunk-lines and --config: the file sets chunk_lines; change it there");
        assertThatThrownBy(() ->
                        Main.parse(new String[] {"--config", file.toString(), "--endpoint", "http://h/v1"}, CREDENTIAL))
                .hasMessageStartingWith("--endpoint and --config");
        assertThatThrownBy(() -> Main.parse(
                        new String[] {"--config", dir.resolve("none.json").toString()}, Map.of()))
                .hasMessageContaining("no deployment configuration at");
    }

    private record Exit(int status, List<String> out, List<String> err) {}

    /** {@code bin/local} as a process: what the user sees, and its exit status. */
    private Exit run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process process = new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS))
                .as("bin/local " + String.join(" ", args) + " ended")
                .isTrue();
        return new Exit(
                process.exitValue(),
                Files.readAllLines(out, StandardCharsets.UTF_8),
                Files.readAllLines(err, StandardCharsets.UTF_8));
    }

    @Test
    void asAProcess_aBadValueOrAnUnknownOption_isOneLineOnStandardError_andExitStatus2() throws Exception {
        Exit badValue = run("--port", "abc");
        Exit unknown = run("--verbose");

        assertThat(badValue.status()).isEqualTo(2);
        assertThat(badValue.err()).containsExactly("bin/local: --port abc: expected a port number, 0 to 65535");
        assertThat(badValue.out()).isEmpty();
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err())
                .containsExactly("bin/local: unknown option --verbose (bin/local --help lists the options)");
    }

    @Test
    void asAProcess_helpIsPrintedAndNothingStarts() throws Exception {
        Exit help = run("--help");

        assertThat(help.status()).isZero();
        assertThat(String.join("\n", help.out())).isEqualTo(Main.help());
        assertThat(help.err()).isEmpty();
    }
}
