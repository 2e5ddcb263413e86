package jdm.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WireTest {
    private static Object roundTrip(Object v) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Wire.writeFrame(new DataOutputStream(bytes), v);
        return Wire.readFrame(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), 1 << 20);
    }

    @Test
    void everyValueKindSurvivesAFrameUnchanged() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", "create");
        m.put("table", "0 2048 linear /tmp/a b.img 0\n2048 8 zero\n\u00e9\u4e2d\ud83d\ude00");
        m.put("readOnly", true);
        m.put("off", false);
        m.put("nothing", null);
        m.put("sector", Long.MIN_VALUE);
        m.put("big", Long.MAX_VALUE);
        m.put("list", List.of(1L, "two", List.of(), Map.of()));
        m.put("", "empty key");
        assertThat(roundTrip(m)).isEqualTo(m);
    }

    @Test
    void integersOfAnyWidthAreSentAsInt64() throws Exception {
        assertThat(roundTrip(List.of(1, (short) 2, (byte) 3))).isEqualTo(List.of(1L, 2L, 3L));
    }

    @Test
    void aCleanEndOfStreamBetweenFramesIsNotAnError() throws Exception {
        assertThat(Wire.readFrame(new DataInputStream(new ByteArrayInputStream(new byte[0])), 100))
                .isSameAs(Wire.Eof.INSTANCE);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            text instead of a frame        | 474554202f20485454502f312e300d0a0d0a           | bad frame magic 0x47455420
            length over the limit          | 4a444d437fffffff                              | exceeds the limit of 1024 bytes
            negative length                | 4a444d43ffffffff                              | 4294967295 bytes exceeds the limit
            truncated header               | 4a444d4300                                    | truncated frame header
            truncated body                 | 4a444d430000000a0400                          | truncated frame: 10 bytes announced
            unknown tag                    | 4a444d430000000109                            | unknown value tag 9 at offset 0
            string longer than the frame   | 4a444d4300000005047fffffff                    | exceeds the 0 bytes left
            list count larger than frame   | 4a444d430000000505000f4240                    | count 1000000 at offset 1 exceeds
            int64 cut short                | 4a444d43000000030300ff                        | runs past the end of the frame
            invalid UTF-8                  | 4a444d43000000070400000002c328                | is not valid UTF-8
            stray bytes after the value    | 4a444d43000000020000                          | 1 stray bytes after the value
            duplicate map key              | 4a444d43 00000011 06 00000002 00000001 61 00 00000001 61 00 | duplicate map key "a"
            map entry cut short            | 4a444d43000000080600000001ffffff              | count 1 at offset 1 exceeds the 3 bytes left
            """)
    void malformedFramesAreRejectedWithWhatIsWrongAndWhere(String what, String hex, String message) {
        byte[] bytes = HexFormat.of().parseHex(hex.replace(" ", ""));
        assertThatThrownBy(() -> Wire.readFrame(new DataInputStream(new ByteArrayInputStream(bytes)), 1024))
                .as(what).isInstanceOf(WireException.class).hasMessageContaining(message);
    }

    @Test
    void nestingDeeperThanTheLimitIsRefusedBothWays() {
        Object deep = List.of();
        for (int i = 0; i < Wire.MAX_DEPTH + 2; i++) {
            deep = List.of(deep);
        }
        Object tooDeep = deep;
        assertThatThrownBy(() -> Wire.encode(tooDeep)).hasMessageContaining("nested deeper");

        ByteBuffer b = ByteBuffer.allocate(5 * (Wire.MAX_DEPTH + 3));
        for (int i = 0; i < Wire.MAX_DEPTH + 3; i++) {
            b.put((byte) 5).putInt(1);
        }
        assertThatThrownBy(() -> Wire.decode(b.array())).isInstanceOf(WireException.class)
                .hasMessageContaining("nested deeper than " + Wire.MAX_DEPTH);
    }

    @Test
    void aHugeCountCannotMakeTheDecoderAllocateMuch() {
        // a map claiming 2^31-1 entries in a 5-byte frame: refused before anything is allocated
        assertThatThrownBy(() -> Wire.decode(new byte[] {6, 0x7f, -1, -1, -1}))
                .isInstanceOf(WireException.class).hasMessageContaining("exceeds the 0 bytes left");
    }

    @Test
    void valuesThatAreNotWireTypesAreRefusedWhenEncoding() {
        List<Object> bad = new ArrayList<>();
        bad.add(new Object());
        assertThatThrownBy(() -> Wire.encode(bad)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Wire.encode(Map.of(1, "x"))).hasMessageContaining("map keys must be strings");
    }

    @Test
    void requestsAndResponsesKeepTheirFieldsAcrossTheWire() throws Exception {
        Request r = Request.of("load", "name", "vol", "table", "0 8 zero", "cwd", null);
        assertThat(r.args()).containsOnlyKeys("name", "table");
        assertThat(Request.fromWire(Wire.decode(Wire.encode(r.toWire())))).isEqualTo(r);

        Response e = Response.error(Errno.EINVAL, "reload", "line 1: Gap in table", new DevNo(253, 4));
        ControlException ex = Response.fromWire(Wire.decode(Wire.encode(e.toWire()))).failure();
        assertThat(ex.errno()).isEqualTo(22);
        assertThat(ex.ioctl()).isEqualTo("reload");
        assertThat(ex.reason()).isEqualTo("line 1: Gap in table");
        assertThat(ex.device()).isEqualTo(new DevNo(253, 4));
        assertThat(ex.errnoText()).isEqualTo("Invalid argument");

        assertThatThrownBy(() -> Request.fromWire(List.of())).hasMessageContaining("a request must be a map");
        assertThatThrownBy(() -> Request.fromWire(Map.of("op", 5L))).hasMessageContaining("\"op\" must be a string");
        assertThatThrownBy(() -> Response.fromWire(Map.of())).hasMessageContaining("boolean \"ok\"");
    }
}
