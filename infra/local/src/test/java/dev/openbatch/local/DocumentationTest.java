package dev.openbatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README and the pages under {@code docs/} as a reader meets them: every relative link leads to
 * a file that exists, and the Node examples run — and the TypeScript one compiles under
 * {@code tsc --strict} — exactly as the page shows them, pasted into a fresh folder, against the
 * local runtime.
 */
class DocumentationTest {

    /** Tests run in {@code infra/local}; the documents are at the top of the repository. */
    private static final Path REPO = Path.of("../..").toAbsolutePath().normalize();

    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
    /** The marker a checked example stands under, naming the file it is saved as. */
    private static final Pattern EXAMPLE =
            Pattern.compile("<!-- checked by DocumentationTest as (\\S+) -->\\s*```\\w*\\n(.*?)\\n```", Pattern.DOTALL);

    private static ServingRuntime serving;

    @BeforeAll
    static void start() {
        if (!Files.isDirectory(REPO.resolve("node_modules/openai"))) {
            throw new IllegalStateException(
                    "node_modules/openai is missing: run npm ci at the top of the repository (bin/test does)");
        }
        serving = ServingRuntime.start(500);
    }

    @AfterAll
    static void stop() {
        serving.close();
    }

    @Test
    void everyRelativeLink_inTheReadmeAndDocs_leadsToAFileThatExists() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path page : pages()) {
            Matcher link = LINK.matcher(Files.readString(page));
            while (link.find()) {
                String target = link.group(1);
                if (target.matches("^[a-z]+:.*") || target.startsWith("#")) {
                    continue;
                }
                Path file =
                        page.getParent().resolve(target.replaceAll("#.*$", "")).normalize();
                if (!Files.exists(file)) {
                    broken.add(REPO.relativize(page) + " -> " + target);
                }
            }
        }
        assertThat(broken).isEmpty();
        assertThat(pages()).contains(REPO.resolve("docs/sdks.md"));
    }

    @Test
    void theNodeExamples_runAsPasted_andPrintTheBatchsOutput() throws Exception {
        Map<String, String> examples = examples(REPO.resolve("docs/sdks.md"));
        assertThat(examples).containsKeys("batch.mjs", "batch.cjs", "batch.mts");
        for (String name : List.of("batch.mjs", "batch.cjs")) {
            Path folder = freshFolder(name, examples.get(name));
            Run run = run(folder, "node", name);
            assertThat(run.exit()).as(name + ": " + run.output()).isZero();
            assertThat(run.output())
                    .as(name)
                    .contains("\"custom_id\":\"request-1\"")
                    .contains("\"status_code\":200");
        }
    }

    @Test
    void theTypeScriptExample_compilesUnderStrict_withJobIdInTheCreateCall() throws Exception {
        Path folder =
                freshFolder("batch.mts", examples(REPO.resolve("docs/sdks.md")).get("batch.mts"));
        Run run = run(
                folder,
                REPO.resolve("node_modules/.bin/tsc").toString(),
                "--strict",
                "--noEmit",
                "--module",
                "nodenext",
                "--target",
                "es2022",
                "--types",
                "node",
                "batch.mts");
        assertThat(run.exit()).as(run.output()).isZero();
    }

    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(REPO.resolve("README.md"), REPO.resolve("statemachine/README.md")));
        try (Stream<Path> docs = Files.walk(REPO.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    private static Map<String, String> examples(Path page) throws IOException {
        Map<String, String> examples = new LinkedHashMap<>();
        Matcher example = EXAMPLE.matcher(Files.readString(page));
        while (example.find()) {
            examples.put(example.group(1), example.group(2) + "\n");
        }
        return examples;
    }

    /** A folder as a user's: the example, the input file the page uses, and the SDK installed. */
    private static Path freshFolder(String name, String source) throws IOException {
        Path folder = Files.createTempDirectory("openbatch-docs-");
        Files.writeString(folder.resolve(name), source);
        Files.writeString(folder.resolve("requests.jsonl"), """
                {"custom_id":"request-1","method":"POST","url":"/v1/chat/completions","body":{"model":"Qwen/Qwen2.5-VL-7B-Instruct","messages":[{"role":"user","content":"Hello world!"}]}}
                """);
        Files.createSymbolicLink(folder.resolve("node_modules"), REPO.resolve("node_modules"));
        return folder;
    }

    private record Run(int exit, String output) {}

    private static Run run(Path folder, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder =
                new ProcessBuilder(command).directory(folder.toFile()).redirectErrorStream(true);
        builder.environment().put("OPENAI_BASE_URL", serving.runtime.apiBase().toString());
        builder.environment().put("OPENAI_API_KEY", "local");
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not end");
        }
        return new Run(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
