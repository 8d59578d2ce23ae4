package dev.openbatch.core.images;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Images of known sizes: PNG, JPEG and GIF written by javax.imageio, WebP headers built by hand. */
public final class TestImages {

    private TestImages() {}

    public static byte[] png(int width, int height) {
        return write("png", width, height);
    }

    /** A baseline JPEG, whose size sits in an SOF0 segment. */
    public static byte[] jpeg(int width, int height) {
        return write("jpeg", width, height);
    }

    /** A progressive JPEG, whose size sits in an SOF2 segment. */
    public static byte[] progressiveJpeg(int width, int height) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            writer.write(null, new IIOImage(image(width, height), null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    public static byte[] gif(int width, int height) {
        return write("gif", width, height);
    }

    /** A lossless WebP header: the VP8L signature, then width-1 and height-1 in 14 bits each. */
    public static byte[] webpLossless(int width, int height) {
        ByteBuffer chunk = littleEndian(5).put((byte) 0x2F).putInt((width - 1) | (height - 1) << 14);
        return riff("VP8L", chunk.array());
    }

    /** An extended WebP header: flags, then canvas width-1 and height-1 in 24 bits each. */
    public static byte[] webpExtended(int width, int height) {
        ByteBuffer chunk = littleEndian(10).putInt(0);
        putUint24(chunk, width - 1);
        putUint24(chunk, height - 1);
        return riff("VP8X", chunk.array());
    }

    /** A lossy WebP header: a key-frame tag, the start code 9D 01 2A, then width and height. */
    public static byte[] webpLossy(int width, int height) {
        ByteBuffer chunk = littleEndian(10)
                .put(new byte[] {0x10, 0x02, 0x00, (byte) 0x9D, 0x01, 0x2A})
                .putShort((short) width)
                .putShort((short) height);
        return riff("VP8 ", chunk.array());
    }

    public static String dataUri(String mediaType, byte[] bytes) {
        return "data:" + mediaType + ";base64," + Base64.getEncoder().encodeToString(bytes);
    }

    private static byte[] riff(String chunkName, byte[] chunk) {
        ByteBuffer file = littleEndian(20 + chunk.length)
                .put(ascii("RIFF"))
                .putInt(12 + chunk.length)
                .put(ascii("WEBP"))
                .put(ascii(chunkName))
                .putInt(chunk.length)
                .put(chunk);
        return file.array();
    }

    private static void putUint24(ByteBuffer buffer, int value) {
        buffer.put((byte) value).put((byte) (value >> 8)).put((byte) (value >> 16));
    }

    private static ByteBuffer littleEndian(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] write(String format, int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image(width, height), format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A gradient, so that each format has something to encode. */
    private static BufferedImage image(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < width; x++) {
            for (int y = 0; y < height; y++) {
                image.setRGB(x, y, new Color(x * 255 / width, y * 255 / height, 128).getRGB());
            }
        }
        return image;
    }
}
