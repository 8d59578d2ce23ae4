package dev.openbatch.core.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ImageProbeTest {

    @Test
    void png_isReadFromItsIhdrChunk() {
        assertThat(ImageProbe.of(TestImages.png(37, 21))).contains(new ImageProbe("image/png", 37, 21));
    }

    @Test
    void jpeg_baselineAndProgressive_areReadFromTheirStartOfFrame() {
        assertThat(ImageProbe.of(TestImages.jpeg(40, 30))).contains(new ImageProbe("image/jpeg", 40, 30));
        assertThat(ImageProbe.of(TestImages.progressiveJpeg(33, 65))).contains(new ImageProbe("image/jpeg", 33, 65));
    }

    @Test
    void gif_isReadFromItsLogicalScreen() {
        assertThat(ImageProbe.of(TestImages.gif(12, 34))).contains(new ImageProbe("image/gif", 12, 34));
    }

    @Test
    void webp_isReadFromEachOfItsThreeBitstreams() {
        assertThat(ImageProbe.of(TestImages.webpLossless(300, 200))).contains(new ImageProbe("image/webp", 300, 200));
        assertThat(ImageProbe.of(TestImages.webpExtended(5000, 3000)))
                .contains(new ImageProbe("image/webp", 5000, 3000));
        assertThat(ImageProbe.of(TestImages.webpLossy(640, 480))).contains(new ImageProbe("image/webp", 640, 480));
    }

    @Test
    void bytesOfNoKnownFormat_orCutShort_giveNothing() {
        byte[] png = TestImages.png(10, 10);
        byte[] jpeg = TestImages.jpeg(10, 10);

        assertThat(ImageProbe.of("just some text".getBytes(StandardCharsets.UTF_8)))
                .isEmpty();
        assertThat(ImageProbe.of(new byte[0])).isEmpty();
        assertThat(ImageProbe.of(Arrays.copyOf(png, 20))).isEmpty();
        assertThat(ImageProbe.of(Arrays.copyOf(jpeg, 4))).isEmpty();
        assertThat(ImageProbe.of(Arrays.copyOf(TestImages.webpLossy(8, 8), 24))).isEmpty();
    }
}
