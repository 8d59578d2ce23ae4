package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchRequestCounts;
import dev.openbatch.core.http.Console;
import dev.openbatch.reference.Options;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console (docs/console.md) in a real headless Chromium, Debian's, through its chromedriver
 * (bin/browser installs both), against the local runtime with API keys on, checked against what the
 * OpenAI Java SDK reads from the same API. With {@code OPENBATCH_CONSOLE_SCREENSHOT=<file.png>} in the
 * environment (or the system property {@code openbatch.console.screenshot}) it saves the batch page
 * there, as docs/console.png is made.
 */
class ConsoleBrowserEndToEndTest {

    private static final String KEY = "sk-console-0123456789";
    private static final String CHAT = "/v1/chat/completions";
    private static final String HOSTILE = "<img src=x onerror=alert(1)>";
    private static final Duration WITHIN = Duration.ofSeconds(60);

    private static LocalRuntime runtime;
    private static OpenAIClient sdk;
    private static ChromeDriver browser;
    private static Path downloads;
    private static Path inputs;

    @BeforeAll
    static void start() throws IOException {
        // Each line takes a quarter second, two at a time: a batch of 60 runs long enough to be watched and cancelled.
        LocalRuntime.Options options = LocalRuntimes.options(
                Options.builder().latency(Duration.ofMillis(250)).build(), 2, 5, 2, Duration.ofHours(24), 1);
        runtime = LocalRuntime.start(
                options.toBuilder().tenants(List.of("team-console")).build());
        LocalRuntimes.issueKey(runtime, KEY, "team-console");
        sdk = OpenAIOkHttpClient.builder()
                .baseUrl(runtime.apiBase().toString())
                .apiKey(KEY)
                .maxRetries(0)
                .build();
        downloads = Files.createTempDirectory("console-downloads");
        inputs = Files.createTempDirectory("console-inputs");
        ChromeOptions chrome = new ChromeOptions();
        chrome.setBinary("/usr/bin/chromium");
        chrome.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,1000",
                "--user-data-dir=" + Files.createTempDirectory("console-chromium"));
        chrome.setExperimentalOption(
                "prefs",
                Map.of("download.default_directory", downloads.toString(), "download.prompt_for_download", false));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, chrome);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (runtime != null) {
            runtime.close();
        }
    }

    private static String console() {
        return runtime.apiBase().resolve("/console").toString();
    }

    private static WebDriverWait waiting() {
        return new WebDriverWait(browser, WITHIN, Duration.ofMillis(100));
    }

    private static WebElement shown(String css) {
        return waiting().until(d -> {
            List<WebElement> found = d.findElements(By.cssSelector(css));
            return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
        });
    }

    /** Opens the console and signs in with the key, unless this tab already holds it. */
    private static void signedIn() {
        browser.get(console());
        waiting()
                .until(d ->
                        !d.findElements(By.cssSelector("#sign-in, #batches")).isEmpty());
        if (!browser.findElements(By.id("sign-in")).isEmpty()) {
            browser.findElement(By.id("api-key")).sendKeys(KEY);
            browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
            shown("#batches");
        }
    }

    private static void open(String hash) {
        browser.get(console() + hash);
        waiting().until(d -> d.findElement(By.id("main")).getText().length() > 0);
    }

    private static Path input(String name, String... lines) throws IOException {
        Path dir = Files.createTempDirectory(inputs, "in");
        return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
    }

    private static String line(String customId, String model) {
        return "{\"custom_id\":\"" + customId.replace("\"", "\\\"") + "\",\"method\":\"POST\",\"url\":\"" + CHAT
                + "\",\"body\":{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi "
                + customId.length() + "\"}]}}";
    }

    /** Creates a batch through the New batch form; answers the id of the batch the page then shows. */
    private static String createThroughTheForm(Path file, String metadata) {
        open("#/new");
        browser.findElement(By.id("file")).sendKeys(file.toString());
        new Select(browser.findElement(By.id("endpoint"))).selectByValue(CHAT);
        browser.findElement(By.id("metadata")).sendKeys(metadata);
        browser.findElement(By.cssSelector("#new-batch button[type=submit]")).click();
        return batchOnPage();
    }

    private static String batchOnPage() {
        waiting().until(d -> d.getCurrentUrl().contains("#/batches/batch_"));
        String url = browser.getCurrentUrl();
        shown("#batch-status");
        return url.substring(url.indexOf("#/batches/") + "#/batches/".length());
    }

    private static String content(String fileId) {
        try (HttpResponse response = sdk.files().content(fileId);
                InputStream body = response.body()) {
            return new String(body.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> downloaded() {
        try (var files = Files.list(downloads)) {
            return files.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void assertNothingRanAsHtml() {
        assertThatThrownBy(() -> browser.switchTo().alert())
                .as("no alert opened")
                .isInstanceOf(NoAlertPresentException.class);
        assertThat(browser.findElements(By.tagName("img"))).as("no img element").isEmpty();
    }

    @Test
    void aUser_signsIn_uploads_createsABatch_watchesItEnd_downloadsTheOutput_cancelsAnother_andRetriesFailedLines()
            throws Exception {
        browser.get(console());
        shown("#sign-in");
        browser.findElement(By.id("api-key")).sendKeys("sk-not-a-key");
        browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
        assertThat(shown("#api-key-error").getText()).startsWith("Incorrect API key provided");
        browser.findElement(By.id("api-key")).clear();
        signedIn();
        assertThat(browser.getCurrentUrl()).doesNotContain(KEY);
        assertThat(browser.executeScript("return sessionStorage.getItem('openbatch.api_key')"))
                .isEqualTo(KEY);

        // Five lines answered, one refused by the model: the batch completes with an error file.
        Path file = input(
                "requests.jsonl",
                line("req-0", "m"),
                line("req-1", "m"),
                line("req-2", "error-400"),
                line("req-3", "m"),
                line("req-4", "m"),
                line("req-5", "m"));
        String batchId = createThroughTheForm(file, "team: console");
        waiting()
                .until(d -> d.findElement(By.id("batch-status"))
                        .getDomAttribute("data-status")
                        .equals("completed"));
        WebElement bar = shown("#main .bar");
        waiting().until(d -> "100".equals(bar.getDomAttribute("data-percent")));
        Batch batch = sdk.batches().retrieve(batchId);
        BatchRequestCounts counts = batch.requestCounts().orElseThrow();
        assertThat(counts.total()).isEqualTo(6);
        assertThat(browser.findElement(By.cssSelector("#main .counts")).getText())
                .isEqualTo("100% · " + counts.completed() + " completed, " + counts.failed()
                        + " failed, 0 remaining of " + counts.total());
        assertThat(bar.getDomAttribute("aria-valuenow")).isEqualTo(String.valueOf(counts.total()));
        // The batch's report, drawn on the same page: its timeline and the endpoint's latency.
        shown("#timeline-chart canvas");
        assertThat(shown("[data-latency=p50]").getText()).matches("\\d+ ms");
        screenshotIfAsked();

        shown("button[data-download=output]").click();
        Path saved = downloads.resolve(batchId + "-output.jsonl");
        waiting().until(d -> Files.exists(saved) && !Files.exists(Paths.get(saved + ".crdownload")));
        assertThat(Files.readString(saved))
                .isEqualTo(content(batch.outputFileId().orElseThrow()));

        // Retry failed lines: a new batch of exactly the refused line, which the page then shows.
        shown("#retry").click();
        waiting().until(d -> !d.getCurrentUrl().endsWith(batchId));
        String retryId = batchOnPage();
        Batch retry = sdk.batches().retrieve(retryId);
        assertThat(retry.metadata().orElseThrow()._allProperties().get("retry_of"))
                .isEqualTo(JsonValue.from(batchId));
        assertThat(content(retry.inputFileId()).lines()).hasSize(1).allMatch(l -> l.contains("\"req-2\""));

        // Another batch, long enough to watch it move on the page without a reload, then cancel it.
        String longId = SdkBatches.submit(
                sdk,
                CHAT,
                IntStream.range(0, 60).mapToObj(i -> line("slow-" + i, "m")).collect(Collectors.joining("\n")) + "\n");
        open("#/batches/" + longId);
        browser.executeScript("window.sameDocument = true");
        WebElement longBar = shown("#main .bar");
        waiting().until(d -> Integer.parseInt(longBar.getDomAttribute("data-percent")) > 0);
        assertThat(browser.executeScript("return window.sameDocument")).isEqualTo(true);
        shown("#cancel").click();
        waiting()
                .until(d -> List.of("cancelling", "cancelled")
                        .contains(d.findElement(By.id("batch-status")).getDomAttribute("data-status")));
        assertThat(AwaitBatch.ended(sdk, longId, WITHIN).status()).isEqualTo(Batch.Status.CANCELLED);
        waiting()
                .until(d -> d.findElement(By.id("batch-status"))
                        .getDomAttribute("data-status")
                        .equals("cancelled"));

        // The list, newest first, filtered by status.
        open("#/batches");
        shown("tr[data-batch-id='" + longId + "']");
        List<String> ids = browser.findElements(By.cssSelector("#batches tbody tr")).stream()
                .map(r -> r.getDomAttribute("data-batch-id"))
                .toList();
        assertThat(ids.indexOf(longId)).isLessThan(ids.indexOf(retryId));
        assertThat(ids.indexOf(retryId)).isLessThan(ids.indexOf(batchId));
        new Select(browser.findElement(By.id("status-filter"))).selectByValue("cancelled");
        waiting().until(d -> d.findElements(By.cssSelector("#batches tbody tr")).size() == 1);
        assertThat(browser.findElement(By.cssSelector("#batches tbody tr")).getDomAttribute("data-batch-id"))
                .isEqualTo(longId);
    }

    @Test
    void customIds_metadata_andFileNames_thatLookLikeHtml_renderAsText() throws Exception {
        signedIn();
        String batchId = createThroughTheForm(
                input(HOSTILE + ".jsonl", line("fine", "m"), line(HOSTILE, "m")), "note: " + HOSTILE);
        WebElement metadata = shown("#main .facts dl:last-of-type dd");
        assertThat(metadata.getText()).isEqualTo(HOSTILE);
        assertNothingRanAsHtml();

        open("#/batches");
        assertThat(shown("tr[data-batch-id='" + batchId + "'] td.metadata").getText())
                .isEqualTo("note: " + HOSTILE);
        assertNothingRanAsHtml();

        // A file refused whole: its line's error, custom id and all, shown beside the file field.
        open("#/new");
        browser.findElement(By.id("file"))
                .sendKeys(input(HOSTILE + ".jsonl", line(HOSTILE, "m"), line(HOSTILE, "m"))
                        .toString());
        browser.findElement(By.cssSelector("#new-batch button[type=submit]")).click();
        assertThat(shown("#file-errors li").getText())
                .isEqualTo("line 2: The custom_id '" + HOSTILE
                        + "' is already used on line 1; every request needs its own custom_id.");
        assertThat(browser.findElement(By.id("file")).getDomAttribute("aria-invalid"))
                .isEqualTo("true");
        assertNothingRanAsHtml();

        // Files: the names as text; one downloaded, one deleted (two presses), as the API then has it.
        String inputId = sdk.batches().retrieve(batchId).inputFileId();
        open("#/files");
        WebElement row = shown("tr[data-file-id='" + inputId + "']");
        assertThat(row.findElements(By.tagName("td")).get(1).getText()).isEqualTo(HOSTILE + ".jsonl");
        assertNothingRanAsHtml();
        List<Path> before = downloaded();
        row.findElement(By.cssSelector("button[data-action=download]")).click();
        // Chromium makes a name safe for any disk of its own accord (the < and > go): the new file it is.
        Path saved = waiting()
                .until(d -> downloaded().stream()
                        .filter(f -> !before.contains(f) && !f.toString().endsWith(".crdownload"))
                        .findFirst()
                        .orElse(null));
        assertThat(saved.getFileName().toString()).endsWith(".jsonl");
        assertThat(Files.readString(saved)).isEqualTo(content(inputId));
        WebElement delete = row.findElement(By.cssSelector("button[data-action=delete]"));
        delete.click();
        assertThat(delete.getText()).isEqualTo("Confirm delete");
        delete.click();
        waiting()
                .until(d -> d.findElements(By.cssSelector("tr[data-file-id='" + inputId + "']"))
                        .isEmpty());
        assertThatThrownBy(() -> sdk.files().retrieve(inputId)).isInstanceOf(NotFoundException.class);
    }

    @Test
    void aRefusedField_showsTheServersMessage_besideThatField() throws Exception {
        signedIn();
        open("#/new");
        browser.findElement(By.id("file"))
                .sendKeys(input("one.jsonl", line("one", "m")).toString());
        browser.findElement(By.id("job")).sendKeys("job-nonesuch");
        browser.findElement(By.cssSelector("#new-batch button[type=submit]")).click();

        assertThat(shown("#job-error").getText())
                .isEqualTo("Invalid 'job_id': no job 'job-nonesuch' is available to this account.");
        assertThat(browser.findElement(By.id("job")).getDomAttribute("aria-invalid"))
                .isEqualTo("true");
        assertThat(browser.switchTo().activeElement().getDomAttribute("id")).isEqualTo("job");
        assertThat(browser.findElement(By.id("form-error")).getText()).isEmpty();
    }

    @Test
    void aFileAboveFourMegabytes_goesUpThroughTheUploadsApi_inParts_withItsProgressShown() throws Exception {
        signedIn();
        // Every line after the first repeats its custom id: the file goes up whole, then is refused at once.
        String repeated = line("big", "m");
        int lines = 5 * 1024 * 1024 / repeated.length() + 1;
        Path big = input(
                "big.jsonl", IntStream.range(0, lines).mapToObj(i -> repeated).toArray(String[]::new));
        long size = Files.size(big);
        // More than /v1/files takes in one request: only the Uploads API can have made this file.
        assertThat(size).isGreaterThan(dev.openbatch.core.files.Files.MAX_SINGLE_REQUEST_BYTES);

        open("#/new");
        browser.findElement(By.id("file")).sendKeys(big.toString());
        browser.findElement(By.cssSelector("#new-batch button[type=submit]")).click();

        assertThat(shown("#file-errors li").getText())
                .startsWith("line 2: The custom_id 'big' is already used on line 1");
        WebElement progress = browser.findElement(By.id("upload-progress"));
        assertThat(progress.getDomProperty("value")).isEqualTo(progress.getDomProperty("max"));
        assertThat(browser.findElement(By.id("upload-text")).getText())
                .isEqualTo(String.format(Locale.ROOT, "Uploaded %.1f MB of %.1f MB", size / 1e6, size / 1e6));
        assertThat(sdk.files().list().data().stream()
                        .filter(f -> f.filename().equals("big.jsonl"))
                        .map(f -> f.bytes())
                        .toList())
                .containsExactly(size);
    }

    @Test
    void withKeysOn_theConsoleNeedsNone_butNothingElseGetsPastTheAuthorizerThroughItsPath() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        java.net.http.HttpResponse<String> page = http.send(
                HttpRequest.newBuilder(URI.create(console())).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-security-policy")).contains(Console.CONTENT_SECURITY_POLICY);
        assertThat(page.headers().firstValue("x-content-type-options")).contains("nosniff");
        for (String path : List.of("/console/../v1/batches", "/console/%2e%2e/v1/batches", "/console/v1/batches")) {
            java.net.http.HttpResponse<String> sneaked = http.send(
                    HttpRequest.newBuilder(URI.create(runtime.apiBase().resolve("/") + path.substring(1)))
                            .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(sneaked.statusCode()).as(path).isEqualTo(404);
            assertThat(sneaked.body()).as(path).doesNotContain("\"object\":\"list\"");
        }
        java.net.http.HttpResponse<String> api = http.send(
                HttpRequest.newBuilder(runtime.apiBase().resolve("/v1/batches")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(api.statusCode()).isEqualTo(401);
    }

    @Test
    void withKeysOff_thePageAsksForNone() {
        try (LocalRuntimes runtimes = new LocalRuntimes()) {
            LocalRuntime keyless =
                    runtimes.start(LocalRuntimes.options(Options.defaults(), 2, 5, 1, Duration.ofHours(24), 1));
            browser.get(keyless.apiBase().resolve("/console").toString());
            shown("#batches");
            assertThat(browser.findElements(By.id("sign-in"))).isEmpty();
            assertThat(browser.findElement(By.id("sign-out")).isDisplayed()).isFalse();
        }
    }

    @Test
    void atPhoneWidth_andAt400PercentZoom_thePageNeverScrollsSideways() {
        signedIn();
        // A row to lay out, with its long id and its bar.
        SdkBatches.submit(sdk, CHAT, line("narrow", "m") + "\n");
        try {
            // 320 CSS pixels: a phone, and a 1280-pixel window at 400 %.
            browser.manage().window().setSize(new Dimension(320, 800));
            for (String view : List.of("#/batches", "#/new", "#/files")) {
                open(view);
                shown("#main h2");
                Object overflow = ((JavascriptExecutor) browser)
                        .executeScript("return document.documentElement.scrollWidth - window.innerWidth");
                assertThat(((Number) overflow).intValue()).as(view).isLessThanOrEqualTo(0);
            }
        } finally {
            browser.manage().window().setSize(new Dimension(1280, 1000));
        }
    }

    @Test
    void theBatchPage_drawsTheReportsTimeline_andShowsLatency() throws Exception {
        signedIn();
        String batchId = SdkBatches.submit(
                sdk,
                CHAT,
                IntStream.range(0, 8).mapToObj(i -> line("timed-" + i, "m")).collect(Collectors.joining("\n")) + "\n"
                        + line(HOSTILE, "error-400") + "\n");
        AwaitBatch.ended(sdk, batchId, WITHIN);
        open("#/batches/" + batchId);
        shown("#timeline-chart canvas");
        assertThat(shown("[data-latency=p50]").getText()).matches("\\d+ ms");
        assertThat(shown("[data-latency=p99]").getText()).matches("\\d+ ms");
        // The refused line's custom id, an example of its error code, as text.
        assertThat(shown("#report-errors code").getText()).isEqualTo(HOSTILE);
        assertNothingRanAsHtml();
    }

    /** The batch page as docs/console.png shows it, when asked for. */
    private static void screenshotIfAsked() throws IOException {
        String target = System.getenv("OPENBATCH_CONSOLE_SCREENSHOT");
        if (target == null) {
            target = System.getProperty("openbatch.console.screenshot");
        }
        if (target != null && !target.isBlank()) {
            browser.manage().window().setSize(new Dimension(1280, 1400));
            try {
                Files.write(Path.of(target), browser.getScreenshotAs(OutputType.BYTES));
            } finally {
                browser.manage().window().setSize(new Dimension(1280, 1000));
            }
        }
    }
}
