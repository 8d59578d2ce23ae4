package dev.openbatch.core.http;

import static dev.openbatch.core.fakes.Responses.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.core.fakes.TestApi;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The console's page and assets as the API serves them: typed, under a strict policy, nothing else reachable. */
class ConsoleTest {

    private final TestApi t = new TestApi();

    private static String text(ApiResponse response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    private static void assertGuarded(ApiResponse response) {
        assertThat(response.headers())
                .containsEntry(
                        "content-security-policy",
                        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
                .containsEntry("x-content-type-options", "nosniff");
    }

    @Test
    void thePage_isHtml_underTheStrictPolicy_namingItsAssetsRelatively() {
        ApiResponse page = t.send("GET", "/console");

        assertThat(page.status()).isEqualTo(200);
        assertThat(page.contentType()).isEqualTo("text/html; charset=utf-8");
        assertGuarded(page);
        // Relative names resolve under any prefix, an API Gateway stage's too.
        assertThat(text(page))
                .contains("<script src=\"console/app.js\" defer></script>")
                .contains("<link rel=\"stylesheet\" href=\"console/app.css\">")
                .doesNotContain("src=\"/", "href=\"/", "http://", "https://", "style=");
    }

    @Test
    void theBundledScriptAndStyles_areServedWithTheirTypes_underThePolicy() {
        ApiResponse script = t.send("GET", "/console/app.js");
        ApiResponse styles = t.send("GET", "/console/app.css");

        assertThat(script.status()).isEqualTo(200);
        assertThat(script.contentType()).isEqualTo("text/javascript; charset=utf-8");
        assertGuarded(script);
        // uPlot is inside: the chart needs nothing from the internet.
        assertThat(text(script)).contains("\"u-legend\"").doesNotContain("https://cdn");
        assertThat(styles.status()).isEqualTo(200);
        assertThat(styles.contentType()).isEqualTo("text/css; charset=utf-8");
        assertThat(text(styles)).contains(".uplot");
    }

    @Test
    void theBundle_neverParsesHtmlFromStrings() {
        // User data (custom ids, metadata, messages, file names) goes in as text nodes only.
        assertThat(text(t.send("GET", "/console/app.js")))
                .doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(");
    }

    @Test
    void aTrailingSlash_isSentBackToThePage_relatively() {
        ApiResponse slash = t.send("GET", "/console/");

        assertThat(slash.status()).isEqualTo(302);
        assertThat(slash.headers()).containsEntry("location", "../console");
    }

    @Test
    void anUnknownAsset_andAnyPathOutOfTheConsole_are404InOpenAisEnvelope() {
        assertThat(error(t.send("GET", "/console/nothing.js"), 404)
                        .get("message")
                        .asText())
                .isEqualTo("No console asset named 'nothing.js'.");
        error(t.send("GET", "/console/..%2fConsole.class"), 404);
        error(t.send("GET", "/console/Console.class"), 404);
        error(t.send("GET", "/console/a/../../app.js"), 404);
    }

    @Test
    void theConsole_answersGetOnly() {
        error(t.send("POST", "/console"), 405);
        error(t.send("DELETE", "/console/app.js"), 405);
    }

    @Test
    void consolePaths_areTheConsolesOnly() {
        assertThat(Console.serves("/console")).isTrue();
        assertThat(Console.serves("/console/app.js")).isTrue();
        assertThat(Console.serves("/consoles")).isFalse();
        assertThat(Console.serves("/v1/console")).isFalse();
    }
}
