package dev.openbatch.core.http;

import dev.openbatch.core.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code multipart/form-data} body (RFC 7578), read whole: one API request carries at most a few
 * megabytes, so the parts are simply slices of the body.
 */
public final class Multipart {

    /** One part of the form. {@code filename} is null for plain fields. */
    public record Part(String name, String filename, String contentType, byte[] data) {

        public String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary=(\"([^\"]+)\"|[^;\\s]+)");
    private static final Pattern DISPOSITION_PARAM =
            Pattern.compile("(?i);\\s*(name|filename)=(\"((?:[^\"\\\\]|\\\\.)*)\"|[^;\\s]+)");
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};

    private Multipart() {}

    /** Parses the body into its named parts; a later part of the same name replaces an earlier one. */
    public static Map<String, Part> parse(String contentType, byte[] body) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw malformed("expected a multipart/form-data body");
        }
        Matcher m = BOUNDARY.matcher(contentType);
        if (!m.find()) {
            throw malformed("the Content-Type has no boundary");
        }
        String boundary = m.group(2) != null ? m.group(2) : m.group(1);
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        byte[] nextDelimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);

        int at = indexOf(body, delimiter, 0);
        if (at < 0) {
            throw malformed("the body holds no part");
        }
        Map<String, Part> parts = new LinkedHashMap<>();
        at += delimiter.length;
        while (true) {
            if (startsWith(body, at, new byte[] {'-', '-'})) {
                return parts;
            }
            if (!startsWith(body, at, CRLF)) {
                throw malformed("a boundary is not followed by a line end");
            }
            int headersStart = at + CRLF.length;
            int headersEnd = indexOf(body, HEADER_END, headersStart);
            if (headersEnd < 0) {
                throw malformed("a part's headers do not end");
            }
            int dataStart = headersEnd + HEADER_END.length;
            int dataEnd = indexOf(body, nextDelimiter, dataStart);
            if (dataEnd < 0) {
                throw malformed("the body ends before its closing boundary (truncated?)");
            }
            Part part = part(
                    new String(body, headersStart, headersEnd - headersStart, StandardCharsets.UTF_8),
                    Arrays.copyOfRange(body, dataStart, dataEnd));
            parts.put(part.name(), part);
            at = dataEnd + nextDelimiter.length;
        }
    }

    private static Part part(String headerBlock, byte[] data) {
        String name = null;
        String filename = null;
        String contentType = null;
        for (String header : headerBlock.split("\r\n")) {
            int colon = header.indexOf(':');
            if (colon < 0) {
                throw malformed("a part header has no colon");
            }
            String key = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = header.substring(colon + 1).trim();
            if (key.equals("content-disposition")) {
                Matcher p = DISPOSITION_PARAM.matcher(value);
                while (p.find()) {
                    String v = p.group(3) != null ? p.group(3).replaceAll("\\\\(.)", "$1") : p.group(2);
                    if (p.group(1).equalsIgnoreCase("name")) {
                        name = v;
                    } else {
                        filename = v;
                    }
                }
            } else if (key.equals("content-type")) {
                contentType = value;
            }
        }
        if (name == null) {
            throw malformed("a part has no name");
        }
        return new Part(name, filename, contentType, data);
    }

    private static boolean startsWith(byte[] body, int at, byte[] prefix) {
        if (at + prefix.length > body.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (body[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] body, byte[] target, int from) {
        for (int i = from; i <= body.length - target.length; i++) {
            if (body[i] == target[0] && startsWith(body, i, target)) {
                return i;
            }
        }
        return -1;
    }

    private static ApiException malformed(String why) {
        return ApiException.invalid("Could not parse the multipart form: " + why + ".", null, "invalid_multipart");
    }
}
