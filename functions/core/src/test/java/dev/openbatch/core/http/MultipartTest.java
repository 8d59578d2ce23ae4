package dev.openbatch.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openbatch.core.ApiException;
import dev.openbatch.core.fakes.TestApi;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MultipartTest {

    private static final byte[] JSONL = "{\"a\":1}\r\n{\"b\":\"--not a boundary\"}\n".getBytes(StandardCharsets.UTF_8);

    @Test
    void parse_aFormWithFieldAndFile_givesBothPartsWithExactBytes() {
        Map<String, Multipart.Part> parts =
                Multipart.parse("multipart/form-data; boundary=XyZ", TestApi.form("XyZ", "batch", "in.jsonl", JSONL));

        assertThat(parts.get("purpose").text()).isEqualTo("batch");
        assertThat(parts.get("purpose").filename()).isNull();
        assertThat(parts.get("file").filename()).isEqualTo("in.jsonl");
        assertThat(parts.get("file").contentType()).isEqualTo("application/octet-stream");
        assertThat(parts.get("file").data()).isEqualTo(JSONL);
    }

    @Test
    void parse_aQuotedBoundary_isUnquoted() {
        Map<String, Multipart.Part> parts = Multipart.parse(
                "multipart/form-data; boundary=\"a b\"; charset=utf-8", TestApi.form("a b", "batch", "x.jsonl", JSONL));
        assertThat(parts).containsKeys("purpose", "file");
    }

    @Test
    void parse_aTruncatedBody_isRefused() {
        byte[] whole = TestApi.form("XyZ", "batch", "in.jsonl", JSONL);
        byte[] truncated = Arrays.copyOf(whole, whole.length - 20);
        assertThatThrownBy(() -> Multipart.parse("multipart/form-data; boundary=XyZ", truncated))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("truncated")
                .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(400));
    }

    @Test
    void parse_withoutBoundary_orNotMultipart_isRefused() {
        byte[] body = TestApi.form("XyZ", "batch", "in.jsonl", JSONL);
        assertThatThrownBy(() -> Multipart.parse("multipart/form-data", body)).hasMessageContaining("no boundary");
        assertThatThrownBy(() -> Multipart.parse("application/json", body)).hasMessageContaining("multipart/form-data");
        assertThatThrownBy(() -> Multipart.parse(null, body)).isInstanceOf(ApiException.class);
    }

    @Test
    void parse_aPartWithoutName_isRefused() {
        byte[] body = "--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--\r\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> Multipart.parse("multipart/form-data; boundary=B", body))
                .hasMessageContaining("no name");
    }
}
