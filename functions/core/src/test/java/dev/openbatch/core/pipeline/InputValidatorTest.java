package dev.openbatch.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.openbatch.core.api.Batch;
import dev.openbatch.core.fakes.InMemoryChunkStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
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
        return validate(file.getBytes(StandardCharsets.UTF_8), limits);
    }

    private InputValidator.Result validate(byte[] file, InputValidator.Limits limits) {
        return new InputValidator(limits, store).validate("batch_1", ENDPOINT, new ByteArrayInputStream(file));
    }

    private InputValidator.Result validate(byte[] file) {
        return validate(file, InputValidator.Limits.OPENAI.withChunkLines(2));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String withBody(String customId, String body) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"" + ENDPOINT + "\",\"body\":" + body
                + "}";
    }

    private InputValidator.Result validate(String file) {
        return validate(file, InputValidator.Limits.OPENAI.withChunkLines(2));
    }

    private static List<Batch.Error> errors(InputValidator.Result result) {
        assertThat(result).isInstanceOf(InputValidator.Result.Invalid.class);
        return ((InputValidator.Result.Invalid) result).errors();
    }

    @Test
    void model_isTheOneModelEveryLineNames() {
        String file = line("a") + "\n" + line("b") + "\n";

        InputValidator.Result.Valid result = (InputValidator.Result.Valid) validate(file);

        assertThat(result.model()).isEqualTo("m");
    }

    @Test
    void model_isNull_whenLinesNameSeveralModels_andTheFileIsStillValid() {
        String other = line("b").replace("\"model\":\"m\"", "\"model\":\"other\"");
        String file = line("a") + "\n" + other + "\n" + line("c") + "\n";

        InputValidator.Result result = validate(file);

        assertThat(result).isInstanceOf(InputValidator.Result.Valid.class);
        assertThat(((InputValidator.Result.Valid) result).model()).isNull();
        assertThat(((InputValidator.Result.Valid) result).total()).isEqualTo(3);
    }

    @Test
    void aValidFile_isCutIntoChunksOfTheConfiguredSize_inOrder() {
        String file = line("a") + "\n" + line("b") + "\n" + line("c") + "\n" + line("d") + "\n" + line("e") + "\n";

        InputValidator.Result result = validate(file);

        assertThat(result)
                .isEqualTo(new InputValidator.Result.Valid(
                        5, List.of(new Chunk(0, 1, 2), new Chunk(1, 3, 2), new Chunk(2, 5, 1)), "m"));
        assertThat(new String(store.chunks.get("batch_1/1"), StandardCharsets.UTF_8))
                .isEqualTo(line("c") + "\n" + line("d") + "\n");
    }

    @ParameterizedTest(name = "{0} lines of varied length at chunk_lines {1}, spread over {2}: {3} chunks")
    @CsvSource({"10000, 500, 10, 10", "6000, 500, 10, 10", "3000, 500, 10, 6", "300, 500, 10, 1", "97, 1, 10, 10"})
    void aSpreadInput_isCutIntoNoMoreChunksThanItIsSpreadOver_eachOfAtLeastChunkLines_butTheLast(
            int lines, int chunkLines, int spreadOver, int expectedChunks) {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            // ids of one to five digits, and a blank line now and then: lines of different lengths, and
            // bytes of the input that are in no chunk
            file.append(line("r" + i)).append(i % 7 == 0 ? "\r\n\n" : "\n");
        }
        byte[] input = bytes(file.toString());

        InputValidator.Result.Valid result = (InputValidator.Result.Valid)
                new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(chunkLines), store)
                        .validate(
                                "batch_1",
                                ENDPOINT,
                                new ByteArrayInputStream(input),
                                new InputValidator.Spread(input.length, spreadOver));

        assertThat(result.total()).isEqualTo(lines);
        assertThat(result.chunks()).hasSize(expectedChunks);
        assertThat(result.chunks().stream().mapToInt(Chunk::lines).sum()).isEqualTo(lines);
        assertThat(result.chunks().subList(0, expectedChunks - 1))
                .allSatisfy(chunk -> assertThat(chunk.lines()).isGreaterThanOrEqualTo(chunkLines));
        int each = lines / expectedChunks;
        assertThat(result.chunks())
                .as("about as many lines each")
                .allSatisfy(chunk -> assertThat(chunk.lines())
                        .isBetween(each - each / 10 - 1, Math.max(each, chunkLines) + each / 10 + 1));
    }

    @Test
    void aSpreadChunk_growsPastChunkLinesOnlyWhileUnderTwoMebibytes() {
        StringBuilder file = new StringBuilder();
        String pad = "x".repeat(1_000);
        for (int i = 0; i < 5_000; i++) {
            file.append(withBody(String.format(java.util.Locale.ROOT, "r%04d", i), "{\"pad\":\"" + pad + "\"}"))
                    .append('\n');
        }
        byte[] input = bytes(file.toString());

        InputValidator.Result.Valid result = (InputValidator.Result.Valid)
                new InputValidator(InputValidator.Limits.OPENAI.withChunkLines(500), store)
                        .validate(
                                "batch_1",
                                ENDPOINT,
                                new ByteArrayInputStream(input),
                                new InputValidator.Spread(input.length, 2));

        // Spread over two, each would be 2,500 lines and about 2.7 MB.
        assertThat(result.chunks()).hasSize(3);
        assertThat(result.chunks().subList(0, 2))
                .allSatisfy(chunk -> assertThat(store.chunks.get("batch_1/" + chunk.index()).length)
                        .isBetween(
                                InputValidator.Spread.MAX_BYTES,
                                InputValidator.Spread.MAX_BYTES + input.length / 5_000));
    }

    @Test
    void aSpreadInput_isStillCutAtEightMebibytes() {
        int lineBytes = line("a").length() + 1;
        InputValidator.Limits limits = new InputValidator.Limits(100, 1_000_000, 1, 100, 3 * lineBytes);
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            file.append(line(Character.toString('a' + i))).append('\n');
        }
        byte[] input = bytes(file.toString());

        InputValidator.Result.Valid result = (InputValidator.Result.Valid) new InputValidator(limits, store)
                .validate(
                        "batch_1",
                        ENDPOINT,
                        new ByteArrayInputStream(input),
                        new InputValidator.Spread(input.length, 2));

        assertThat(result.chunks()).extracting(Chunk::lines).containsExactly(3, 3, 3, 3);
    }

    @Test
    void aChunkIsCutShortOfItsLines_whenTheNextLineWouldPassItsBytes_andALongerLineIsAChunkOfItsOwn() {
        int lineBytes = line("a").length() + 1;
        InputValidator.Limits limits = new InputValidator.Limits(100, 1_000_000, 10, 100, 2 * lineBytes);
        String longLine = "{\"custom_id\":\"long\",\"method\":\"POST\",\"url\":\"" + ENDPOINT
                + "\",\"body\":{\"pad\":\"" + "x".repeat(3 * lineBytes) + "\"}}";
        String file = line("a") + "\n" + line("b") + "\n" + line("c") + "\n" + longLine + "\n" + line("d") + "\n";

        InputValidator.Result result = validate(file, limits);

        assertThat(result)
                .isEqualTo(new InputValidator.Result.Valid(
                        5,
                        List.of(new Chunk(0, 1, 2), new Chunk(1, 3, 1), new Chunk(2, 4, 1), new Chunk(3, 5, 1)),
                        "m"));
        assertThat(store.chunks.get("batch_1/0")).hasSize(2 * lineBytes);
        assertThat(new String(store.chunks.get("batch_1/2"), StandardCharsets.UTF_8))
                .isEqualTo(longLine + "\n");
    }

    @Test
    void crlfLineEnds_aByteOrderMark_blankLines_andNoFinalNewline_areAccepted() {
        String file = "\uFEFF" + line("a") + "\r\n\r\n   \n" + line("b") + "\r\n" + line("c");

        InputValidator.Result result = validate(file);

        assertThat(result)
                .isEqualTo(new InputValidator.Result.Valid(3, List.of(new Chunk(0, 1, 2), new Chunk(1, 3, 1)), "m"));
        assertThat(new String(store.chunks.get("batch_1/0"), StandardCharsets.UTF_8))
                .isEqualTo(line("a") + "\n" + line("b") + "\n");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
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
                "unknown endpoint | {\"custom_id\":\"x\",\"method\":\"POST\",\"url\":\"/v1/moderations\",\"body\":{}} | invalid_url | url",
                "two objects | {\"custom_id\":\"x\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}} {\"custom_id\":\"y\"} | invalid_json_line | ",
                "stream true | {\"custom_id\":\"x\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"stream\":true}} | invalid_value | body.stream",
                "stream a string | {\"custom_id\":\"x\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"stream\":\"yes\"}} | invalid_value | body.stream",
                "empty custom_id | {\"custom_id\":\"\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}} | invalid_value | custom_id",
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

        assertThat(errors)
                .containsExactly(new Batch.Error(
                        "duplicate_custom_id",
                        "The custom_id 'a' is already used on " + "line 1; every request needs its own custom_id.",
                        "custom_id",
                        3));
    }

    @Test
    void aTooLongCustomId_isRefused() {
        String id = "x".repeat(InputValidator.MAX_CUSTOM_ID_LENGTH + 1);
        assertThat(errors(validate(line(id))).getFirst().code()).isEqualTo("invalid_value");
        assertThat(validate(line("x".repeat(InputValidator.MAX_CUSTOM_ID_LENGTH))))
                .isInstanceOf(InputValidator.Result.Valid.class);
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
                .extracting(Batch.Error::code)
                .containsExactly("file_too_large");
        assertThat(validate(file, new InputValidator.Limits(10, size, 2, 100)))
                .isInstanceOf(InputValidator.Result.Valid.class);
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

    @Test
    void aUrlWithAQueryString_isRefused_sayingTheQueryIsNotPartOfTheEndpoint() {
        String bad = "{\"custom_id\":\"x\",\"method\":\"POST\",\"url\":\"" + ENDPOINT + "?stream=true\",\"body\":{}}";

        assertThat(errors(validate(bad)).getFirst().message())
                .isEqualTo("The URL provided for this request does not "
                        + "match the batch endpoint: expected '/v1/chat/completions', but got \"/v1/chat/completions?stream=true\""
                        + " (a query string is not part of the endpoint).");
    }

    @Test
    void streamFalse_orNull_isAccepted() {
        assertThat(validate(withBody("a", "{\"stream\":false}") + "\n" + withBody("b", "{\"stream\":null}")))
                .isEqualTo(new InputValidator.Result.Valid(2, List.of(new Chunk(0, 1, 2))));
    }

    @Test
    void streamTrue_failsTheFile_namingTheLineAndWhy() {
        List<Batch.Error> errors =
                errors(validate(line("a") + "\n" + withBody("b", "{\"model\":\"m\",\"stream\":true}")));

        assertThat(errors)
                .containsExactly(new Batch.Error(
                        "invalid_value",
                        "Invalid 'body.stream': the Batch API does "
                                + "not stream responses, but got true; remove 'stream' or set it to false.",
                        "body.stream",
                        2));
    }

    @Test
    void bytesThatAreNotUtf8_failTheirLine_namingTheByte() {
        byte[] latin1 = withBody("caf\u00e9", "{}").getBytes(StandardCharsets.ISO_8859_1);

        List<Batch.Error> errors = errors(validate(concat(bytes(line("a") + "\n"), latin1)));

        assertThat(errors)
                .containsExactly(new Batch.Error(
                        "invalid_json_line",
                        "This line is not parseable as valid "
                                + "JSON. It is not UTF-8: byte 0xe9 at byte 18 cannot be decoded; the input file must be UTF-8.",
                        null,
                        2));
    }

    @Test
    void aTruncatedMultiByteCharacter_atTheEndOfALine_isNotUtf8() {
        byte[] euro = "\u20ac".getBytes(StandardCharsets.UTF_8);
        byte[] file = concat(bytes(withBody("a", "{\"x\":\"")), new byte[] {euro[0], euro[1]}, bytes("\"}}\n"));

        assertThat(errors(validate(file)).getFirst().message()).contains("It is not UTF-8: byte 0xe2");
    }

    @Test
    void aUtf16File_withItsByteOrderMark_isRefusedAsAWhole() {
        byte[] file = concat(
                new byte[] {(byte) 0xFF, (byte) 0xFE},
                (line("a") + "\n" + line("b") + "\n").getBytes(StandardCharsets.UTF_16LE));

        assertThat(errors(validate(file)))
                .containsExactly(new Batch.Error(
                        "invalid_file_format",
                        "The input file is "
                                + "UTF-16 (it begins with a UTF-16 byte-order mark); a batch's input file must be UTF-8.",
                        null,
                        null));
    }

    @Test
    void aUtf16File_withoutByteOrderMark_failsEveryLine_onItsNulBytes() {
        // Jackson alone would guess UTF-16 from the zero bytes and accept these lines.
        byte[] file = (line("a") + "\n" + line("b")).getBytes(StandardCharsets.UTF_16LE);

        List<Batch.Error> errors = errors(validate(file));

        assertThat(errors)
                .extracting(Batch.Error::code, Batch.Error::line)
                .containsExactly(tuple("invalid_json_line", 1), tuple("invalid_json_line", 2));
        assertThat(errors.getFirst().message())
                .isEqualTo("This line is not parseable as valid JSON. It contains a NUL "
                        + "byte at byte 2 (is the file UTF-16?); the input file must be UTF-8.");
    }

    @Test
    void jsonNestedBeyondTheParsersLimit_failsItsLine_sayingSo_andTheLimitItselfIsAccepted() {
        // The line's own object is one level; its body takes the rest.
        String atLimit = withBody("a", "{\"x\":" + "[".repeat(998) + "]".repeat(998) + "}");
        String beyond = withBody("b", "{\"x\":" + "[".repeat(999) + "]".repeat(999) + "}");

        assertThat(validate(atLimit)).isInstanceOf(InputValidator.Result.Valid.class);
        assertThat(errors(validate(line("z") + "\n" + beyond)))
                .containsExactly(new Batch.Error(
                        "invalid_json_line",
                        "This line is not parseable as valid JSON. Document nesting depth (1001) exceeds the maximum allowed "
                                + "(1000).",
                        null,
                        2));
    }

    @Test
    void invalidJson_saysWhatTheParserFound_andWhere() {
        assertThat(errors(validate("{\"custom_id\": nope}")).getFirst().message())
                .isEqualTo("This line is not parseable as valid JSON. Unrecognized token 'nope': was expecting "
                        + "(JSON String, Number, Array, Object or token 'null', 'true' or 'false'), at column 15.");
        assertThat(errors(validate(line("a") + " {}")).getFirst().message())
                .startsWith("This line is not parseable as valid JSON. Unexpected content after the JSON value");
    }

    @Test
    void aCarriageReturnBetweenTokens_isWhitespace_andTheLineIsKeptWhole() {
        String withCr = "{\"custom_id\":\"a\",\r\"method\":\"POST\",\"url\":\"" + ENDPOINT + "\",\"body\":{}}";

        assertThat(validate(withCr + "\r\n"))
                .isEqualTo(new InputValidator.Result.Valid(1, List.of(new Chunk(0, 1, 1))));
        assertThat(store.chunks.get("batch_1/0")).isEqualTo(bytes(withCr + "\n"));
    }

    @Test
    void aLineLongerThanTheLimit_failsTheFile_namingItsLineAndLength_andTheOtherLinesAreStillChecked() {
        String pad = "x".repeat(InputValidator.MAX_LINE_BYTES);
        String tooLong = withBody("long", "{\"pad\":\"" + pad + "\"}");
        String atLimit = withBody(
                "fits",
                "{\"pad\":\"" + pad.substring(withBody("fits", "{\"pad\":\"\"}").length()) + "\"}");
        assertThat(atLimit.length()).isEqualTo(InputValidator.MAX_LINE_BYTES);

        List<Batch.Error> errors = errors(validate(line("a") + "\n" + tooLong + "\r\n" + atLimit + "\n" + "{oops\n"));

        assertThat(errors)
                .extracting(Batch.Error::code, Batch.Error::line)
                .containsExactly(tuple("line_too_large", 2), tuple("invalid_json_line", 4));
        assertThat(errors.getFirst().message())
                .isEqualTo("This line has " + (tooLong.length() + 1) + " bytes; a request "
                        + "line may have at most 8388608 bytes (8 MiB). Reference large images by s3:// or https:// URL "
                        + "instead of inlining them.");
        assertThat(validate(atLimit)).isInstanceOf(InputValidator.Result.Valid.class);
    }

    @Test
    void aFileThatFailsAfterChunksWereCut_leavesNoChunkBehind() {
        String file = line("a") + "\n" + line("b") + "\n" + line("c") + "\n" + line("d") + "\n" + line("e") + "\n"
                + "{oops\n";

        errors(validate(file));

        assertThat(store.chunks).isEmpty();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
