package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openbatch.core.api.Batch;
import dev.openbatch.core.fakes.InMemoryChunkStore;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InputValidatorTest {

    private static final String ENDPOINT = "/v1/chat/completions";
    private final InMemoryChunkStore store = new InMemoryChunkStore();

    private static String line(String customId) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"" + ENDPOINT
                + "\",\"body\":{\"model\":\"m\",\"messages\":[]}}";
    }

    private InputValidator.Result validate(String file, InputValidator.Limits limits) {
        return new InputValidator(limits, store).validate("batch_1", ENDPOINT,
                new ByteArrayInputStream(file.getBytes(StandardCharsets.UTF_8)));
    }

    private InputValidator.Result validate(String file) {
        return validate(file, InputValidator.Limits.OPENAI.withChunkLines(2));
    }

    private static List<Batch.Error> errors(InputValidator.Result result) {
        assertThat(result).isInstanceOf(InputValidator.Result.Invalid.class);
        return ((InputValidator.Result.Invalid) result).errors();
    }

    @Test
    void aValidFile_isCutIntoChunksOfTheConfiguredSize_inOrder() {
        String file = line("a") + "\n" + line("b") + "\n" + line("c") + "\n" + line("d") + "\n" + line("e") + "\n";

        InputValidator.Result result = validate(file);

        assertThat(result).isEqualTo(new InputValidator.Result.Valid(5,
                List.of(new Chunk(0, 1, 2), new Chunk(1, 3, 2), new Chunk(2, 5, 1))));
        assertThat(new String(store.chunks.get("batch_1/1"), StandardCharsets.UTF_8))
                .isEqualTo(line("c") + "\n" + line("d") + "\n");
    }

    @Test
    void aChunkIsCutShortOfItsLines_whenTheNextLineWouldPassItsBytes_andALongerLineIsAChunkOfItsOwn() {
        int lineBytes = line("a").length() + 1;
        InputValidator.Limits limits = new InputValidator.Limits(100, 1_000_000, 10, 100, 2 * lineBytes);
        String longLine = "{\"custom_id\":\"long\",\"method\":\"POST\",\"url\":\"" + ENDPOINT
                + "\",\"body\":{\"pad\":\"" + "x".repeat(3 * lineBytes) + "\"}}";
        String file = line("a") + "\n" + line("b") + "\n" + line("c") + "\n" + longLine + "\n" + line("d") + "\n";

        InputValidator.Result result = validate(file, limits);

        assertThat(result).isEqualTo(new InputValidator.Result.Valid(5,
                List.of(new Chunk(0, 1, 2), new Chunk(1, 3, 1), new Chunk(2, 4, 1), new Chunk(3, 5, 1))));
        assertThat(store.chunks.get("batch_1/0")).hasSize(2 * lineBytes);
        assertThat(new String(store.chunks.get("batch_1/2"), StandardCharsets.UTF_8)).isEqualTo(longLine + "\n");
    }

    @Test
    void crlfLineEnds_aByteOrderMark_blankLines_andNoFinalNewline_areAccepted() {
        String file = "\uFEFF" + line("a") + "\r\n\r\n   \n" + line("b") + "\r\n" + line("c");

        InputValidator.Result result = validate(file);

        assertThat(result).isEqualTo(new InputValidator.Result.Valid(3, List.of(new Chunk(0, 1, 2), new Chunk(1, 3, 1))));
        assertThat(new String(store.chunks.get("batch_1/0"), StandardCharsets.UTF_8))
                .isEqualTo(line("a") + "\n" + line("b") + "\n");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "not JSON | {not json | invalid_json_line | ",
        "not an object | [1,2] | invalid_json_line | ",
        "no custom_id | {\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}} | missing_required_parameter | custom_id",
        "no method | {\"custom_id\":\"x\",\"url\":\"/v1/chat/completions\",\"body\":{}} | missing_required_parameter | method",
        "no url | {\"custom_id\":\"x\",\"method\":\"POST\",\"body\":{}} | missing_required_parameter | url",
        "no body | {\"custom_id\":\"x\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\"} | missing_required_parameter | body",
        "number custom_id | {\"custom_id\":7,\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}} | invalid_type | custom_id",
        "GET | {\"custom_id\":\"x\",\"method\":\"GET\",\"url\":\"/v1/chat/completions\",\"body\":{}} | invalid_method | method",
        "other url | {\"custom_id\":\"x\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{}} | invalid_url | url",
        "url with query | {\"custom_id\":\"x\",\"method\":\"POST\",\"url\":\"/v1/chat/completions?a=1\",\"body\":{}} | invalid_url | url",
        "body a string | {\"custom_id\":\"x\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":\"hi\"} | invalid_type | body",
    })
    void aBadLine_failsTheFile_namingItsLineCodeAndParam(String why, String bad, String code, String param) {
        String file = line("a") + "\n" + line("b") + "\n" + bad + "\n" + line("c") + "\n";

        List<Batch.Error> errors = errors(validate(file));

        assertThat(errors).hasSize(1);
        assertThat(errors.getFirst().line()).isEqualTo(3);
        assertThat(errors.getFirst().code()).isEqualTo(code);
        assertThat(errors.getFirst().param()).isEqualTo(param);
        assertThat(errors.getFirst().message()).isNotBlank();
    }

    @Test
    void aDuplicateCustomId_namesBothLines() {
        List<Batch.Error> errors = errors(validate(line("a") + "\n" + line("b") + "\n" + line("a") + "\n"));

        assertThat(errors).containsExactly(new Batch.Error("duplicate_custom_id", "The custom_id 'a' is already used on "
                + "line 1; every request needs its own custom_id.", "custom_id", 3));
    }

    @Test
    void aTooLongCustomId_isRefused() {
        String id = "x".repeat(InputValidator.MAX_CUSTOM_ID_LENGTH + 1);
        assertThat(errors(validate(line(id))).getFirst().code()).isEqualTo("invalid_value");
        assertThat(validate(line("x".repeat(InputValidator.MAX_CUSTOM_ID_LENGTH)))).isInstanceOf(InputValidator.Result.Valid.class);
    }

    @Test
    void anEmptyFile_orOnlyBlankLines_isRefused() {
        assertThat(errors(validate(""))).extracting(Batch.Error::code).containsExactly("empty_file");
        assertThat(errors(validate("\n \r\n"))).extracting(Batch.Error::code).containsExactly("empty_file");
    }

    @Test
    void oneRequestTooMany_isRefused() {
        InputValidator.Limits three = new InputValidator.Limits(3, 1_000_000, 2, 100);
        String four = line("a") + "\n" + line("b") + "\n" + line("c") + "\n" + line("d") + "\n";

        assertThat(errors(validate(four, three))).extracting(Batch.Error::code).containsExactly("too_many_tasks");
        assertThat(validate(four.substring(0, four.lastIndexOf(line("d"))), three))
                .isInstanceOf(InputValidator.Result.Valid.class);
    }

    @Test
    void oneByteTooMany_isRefused() {
        String file = line("a") + "\n";
        int size = file.getBytes(StandardCharsets.UTF_8).length;

        assertThat(errors(validate(file, new InputValidator.Limits(10, size - 1, 2, 100))))
                .extracting(Batch.Error::code).containsExactly("file_too_large");
        assertThat(validate(file, new InputValidator.Limits(10, size, 2, 100))).isInstanceOf(InputValidator.Result.Valid.class);
    }

    @Test
    void manyErrors_areCapped_sayingHowManyMore() {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < 7; i++) {
            file.append("nope\n");
        }
        List<Batch.Error> errors = errors(validate(file.toString(), new InputValidator.Limits(100, 1_000_000, 2, 3)));

        assertThat(errors).hasSize(4);
        assertThat(errors.subList(0, 3)).extracting(Batch.Error::line).containsExactly(1, 2, 3);
        assertThat(errors.get(3).code()).isEqualTo("too_many_errors");
        assertThat(errors.get(3).message()).startsWith("4 more errors");
    }
}
