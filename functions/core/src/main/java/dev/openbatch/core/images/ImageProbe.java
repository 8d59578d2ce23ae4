package dev.openbatch.core.images;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * An image's media type and pixel size, read from its own bytes rather than trusted from a label. Knows
 * the formats vision models accept: PNG, JPEG, GIF and WebP.
 *
 * @param mediaType such as {@code image/png}
 * @param width     in pixels
 * @param height    in pixels
 */
public record ImageProbe(String mediaType, int width, int height) {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    /** The image's type and size, or empty if the bytes are not a PNG, JPEG, GIF or WebP whose size can be read. */
    public static Optional<ImageProbe> of(byte[] bytes) {
        if (startsWith(bytes, 0, PNG_SIGNATURE)) {
            return png(bytes);
        }
        if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8) {
            return jpeg(bytes);
        }
        if (startsWith(bytes, 0, ascii("GIF87a")) || startsWith(bytes, 0, ascii("GIF89a"))) {
            return gif(bytes);
        }
        if (startsWith(bytes, 0, ascii("RIFF")) && startsWith(bytes, 8, ascii("WEBP"))) {
            return webp(bytes);
        }
        return Optional.empty();
    }

    /** The IHDR chunk must come first, right after the signature. */
    private static Optional<ImageProbe> png(byte[] b) {
        if (b.length < 24 || !startsWith(b, 12, ascii("IHDR"))) {
            return Optional.empty();
        }
        return Optional.of(new ImageProbe("image/png", int32BigEndian(b, 16), int32BigEndian(b, 20)));
    }

    /** Walks the marker segments up to the first start-of-frame, which holds the size. */
    private static Optional<ImageProbe> jpeg(byte[] b) {
        int at = 2;
        while (at + 1 < b.length) {
            if ((b[at] & 0xFF) != 0xFF) {
                return Optional.empty();
            }
            int marker = b[at + 1] & 0xFF;
            if (marker == 0xFF) {
                at++; // a fill byte before the marker
                continue;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                at += 2; // markers without a length
                continue;
            }
            if (marker == 0xD9 || marker == 0xDA || at + 3 >= b.length) {
                return Optional.empty(); // end of image or start of scan: no frame header came before
            }
            if (isStartOfFrame(marker)) {
                if (at + 8 >= b.length) {
                    return Optional.empty();
                }
                // length (2), sample precision (1), then height and width
                return Optional.of(
                        new ImageProbe("image/jpeg", uint16BigEndian(b, at + 7), uint16BigEndian(b, at + 5)));
            }
            at += 2 + uint16BigEndian(b, at + 2);
        }
        return Optional.empty();
    }

    /** SOF0 (baseline) and SOF2 (progressive) in practice; the rarer SOFn carry the size in the same place. */
    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    /** The logical screen size, which every frame fits in. */
    private static Optional<ImageProbe> gif(byte[] b) {
        if (b.length < 10) {
            return Optional.empty();
        }
        return Optional.of(new ImageProbe("image/gif", uint16LittleEndian(b, 6), uint16LittleEndian(b, 8)));
    }

    /** The first chunk says which of the three WebP bitstreams follows; each stores the size its own way. */
    private static Optional<ImageProbe> webp(byte[] b) {
        int data = 20; // after RIFF, its size, WEBP, the chunk's name and the chunk's size
        if (startsWith(b, 12, ascii("VP8 ")) && b.length >= data + 10) {
            // lossy: a 3-byte frame tag, the start code 9D 01 2A, then 14-bit width and height
            boolean startCode =
                    (b[data + 3] & 0xFF) == 0x9D && (b[data + 4] & 0xFF) == 0x01 && (b[data + 5] & 0xFF) == 0x2A;
            return startCode
                    ? Optional.of(new ImageProbe(
                            "image/webp",
                            uint16LittleEndian(b, data + 6) & 0x3FFF,
                            uint16LittleEndian(b, data + 8) & 0x3FFF))
                    : Optional.empty();
        }
        if (startsWith(b, 12, ascii("VP8L")) && b.length >= data + 5 && (b[data] & 0xFF) == 0x2F) {
            // lossless: the signature 0x2F, then width-1 and height-1 in 14 bits each
            int bits = int32LittleEndian(b, data + 1);
            return Optional.of(new ImageProbe("image/webp", (bits & 0x3FFF) + 1, ((bits >>> 14) & 0x3FFF) + 1));
        }
        if (startsWith(b, 12, ascii("VP8X")) && b.length >= data + 10) {
            // extended: 4 bytes of flags, then canvas width-1 and height-1 in 24 bits each
            return Optional.of(new ImageProbe(
                    "image/webp", uint24LittleEndian(b, data + 4) + 1, uint24LittleEndian(b, data + 7) + 1));
        }
        return Optional.empty();
    }

    private static boolean startsWith(byte[] bytes, int offset, byte[] prefix) {
        return bytes.length >= offset + prefix.length
                && Arrays.equals(bytes, offset, offset + prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static int uint16BigEndian(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
    }

    private static int int32BigEndian(byte[] b, int at) {
        return uint16BigEndian(b, at) << 16 | uint16BigEndian(b, at + 2);
    }

    private static int uint16LittleEndian(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8;
    }

    private static int uint24LittleEndian(byte[] b, int at) {
        return uint16LittleEndian(b, at) | (b[at + 2] & 0xFF) << 16;
    }

    private static int int32LittleEndian(byte[] b, int at) {
        return uint16LittleEndian(b, at) | uint16LittleEndian(b, at + 2) << 16;
    }
}
