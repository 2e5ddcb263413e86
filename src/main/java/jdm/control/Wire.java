package jdm.control;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The control socket's wire format: one frame per request and per response, each a self-describing value tree, in
 * the spirit of the dm ioctl's {@code struct dm_ioctl} + payload but without fixed-size fields.
 *
 * <pre>
 * frame   = magic "JDMC" (4 bytes) | length (int32, big-endian, 0..maxBytes) | value (length bytes)
 * value   = tag (1 byte) then:
 *           0 null | 1 false | 2 true | 3 int64 (8 bytes)
 *           4 string: length (int32) + UTF-8 bytes
 *           5 list:   count (int32) + values
 *           6 map:    count (int32) + (key string: length (int32) + UTF-8 bytes, value) pairs, keys unique
 * </pre>
 *
 * Java types: null, Boolean, Long (any integral Number is written as int64), String, List, Map&lt;String, ?&gt;. Every
 * count and length is checked against the bytes left in the frame, nesting is limited to {@link #MAX_DEPTH}, strings
 * must be valid UTF-8 and a frame must hold exactly one value, so a malformed frame is rejected with a
 * {@link WireException} saying what is wrong where, never by running out of memory.
 */
public final class Wire {
    /** The four bytes every frame starts with. */
    public static final int MAGIC = 0x4a444d43; // "JDMC"
    /** Largest request frame the server takes: tables are text, 16 MiB is thousands of targets. */
    public static final int MAX_REQUEST_BYTES = 16 << 20;
    /** Largest response frame the client takes. */
    public static final int MAX_RESPONSE_BYTES = 64 << 20;
    /** Deepest nesting of lists and maps. */
    public static final int MAX_DEPTH = 16;

    private static final int NULL = 0;
    private static final int FALSE = 1;
    private static final int TRUE = 2;
    private static final int INT64 = 3;
    private static final int STRING = 4;
    private static final int LIST = 5;
    private static final int MAP = 6;

    private Wire() {
    }

    /** Writes one frame holding value and flushes. */
    public static void writeFrame(DataOutputStream out, Object value) throws IOException {
        byte[] body = encode(value);
        out.writeInt(MAGIC);
        out.writeInt(body.length);
        out.write(body);
        out.flush();
    }

    /**
     * Reads one frame of at most maxBytes and decodes its value; returns {@link Eof#INSTANCE} when the stream ends
     * cleanly before a frame starts.
     */
    public static Object readFrame(DataInputStream in, int maxBytes) throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            return Eof.INSTANCE;
        }
        int magic;
        int length;
        try {
            magic = (b0 << 24) | (in.readUnsignedByte() << 16) | (in.readUnsignedShort());
            if (magic != MAGIC) {
                throw new WireException(String.format("bad frame magic 0x%08x (want 0x%08x \"JDMC\"): not a jdm"
                        + " control message", magic, MAGIC));
            }
            length = in.readInt();
        } catch (EOFException e) {
            throw new WireException("truncated frame header");
        }
        if (length < 0 || length > maxBytes) {
            throw new WireException("frame of " + Integer.toUnsignedString(length) + " bytes exceeds the limit of "
                    + maxBytes + " bytes");
        }
        // readNBytes grows its buffer as bytes arrive: a peer announcing 16 MiB and sending nothing pins nothing.
        byte[] body = in.readNBytes(length);
        if (body.length != length) {
            throw new WireException("truncated frame: " + length + " bytes announced, stream ended early");
        }
        return decode(body);
    }

    /** Marks a clean end of stream between frames. */
    public enum Eof {
        INSTANCE
    }

    /** Encodes one value. */
    public static byte[] encode(Object value) {
        Encoder e = new Encoder();
        e.value(value, 0);
        return e.toByteArray();
    }

    /** Decodes exactly one value from bytes. */
    public static Object decode(byte[] bytes) throws WireException {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        try {
            Object v = new Decoder(buf).value(0);
            if (buf.hasRemaining()) {
                throw new WireException(buf.remaining() + " stray bytes after the value at offset " + buf.position());
            }
            return v;
        } catch (BufferUnderflowException e) {
            throw new WireException("value runs past the end of the frame (" + bytes.length + " bytes)");
        }
    }

    private static final class Encoder {
        private byte[] buf = new byte[256];
        private int len;

        void value(Object v, int depth) {
            if (depth > MAX_DEPTH) {
                throw new IllegalArgumentException("value nested deeper than " + MAX_DEPTH);
            }
            switch (v) {
                case null -> put(NULL);
                case Boolean b -> put(b ? TRUE : FALSE);
                case Long l -> int64(l);
                case Integer i -> int64(i);
                case Short s -> int64(s);
                case Byte b -> int64(b);
                case String s -> {
                    put(STRING);
                    string(s);
                }
                case List<?> list -> {
                    put(LIST);
                    int32(list.size());
                    for (Object o : list) {
                        value(o, depth + 1);
                    }
                }
                case Map<?, ?> map -> {
                    put(MAP);
                    int32(map.size());
                    for (Map.Entry<?, ?> en : map.entrySet()) {
                        if (!(en.getKey() instanceof String key)) {
                            throw new IllegalArgumentException("map keys must be strings: " + en.getKey());
                        }
                        string(key);
                        value(en.getValue(), depth + 1);
                    }
                }
                default -> throw new IllegalArgumentException("cannot encode " + v.getClass().getName());
            }
        }

        private void int64(long l) {
            put(INT64);
            for (int shift = 56; shift >= 0; shift -= 8) {
                put((int) (l >>> shift));
            }
        }

        private void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            int32(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
        }

        private void int32(int i) {
            put(i >>> 24);
            put(i >>> 16);
            put(i >>> 8);
            put(i);
        }

        private void put(int b) {
            ensure(1);
            buf[len++] = (byte) b;
        }

        private void ensure(int n) {
            if (buf.length - len < n) {
                long want = Math.max((long) buf.length * 2, (long) len + n);
                if (want > Integer.MAX_VALUE - 16) {
                    throw new IllegalArgumentException("value too large to encode");
                }
                buf = java.util.Arrays.copyOf(buf, (int) want);
            }
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(buf, len);
        }
    }

    private static final class Decoder {
        private final ByteBuffer buf;

        Decoder(ByteBuffer buf) {
            this.buf = buf;
        }

        Object value(int depth) throws WireException {
            if (depth > MAX_DEPTH) {
                throw new WireException("value nested deeper than " + MAX_DEPTH + " at offset " + buf.position());
            }
            int at = buf.position();
            int tag = buf.get() & 0xff;
            return switch (tag) {
                case NULL -> null;
                case FALSE -> Boolean.FALSE;
                case TRUE -> Boolean.TRUE;
                case INT64 -> buf.getLong();
                case STRING -> string();
                case LIST -> {
                    int n = count(1);
                    List<Object> list = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        list.add(value(depth + 1));
                    }
                    yield list;
                }
                case MAP -> {
                    int n = count(6);
                    Map<String, Object> map = new LinkedHashMap<>();
                    for (int i = 0; i < n; i++) {
                        int keyAt = buf.position();
                        String key = string();
                        if (map.containsKey(key)) {
                            throw new WireException("duplicate map key \"" + key + "\" at offset " + keyAt);
                        }
                        map.put(key, value(depth + 1));
                    }
                    yield map;
                }
                default -> throw new WireException("unknown value tag " + tag + " at offset " + at);
            };
        }

        /** A count of items of at least minBytes each, checked against what is left. */
        private int count(int minBytes) throws WireException {
            int at = buf.position();
            int n = buf.getInt();
            if (n < 0 || (long) n * minBytes > buf.remaining()) {
                throw new WireException("count " + Integer.toUnsignedString(n) + " at offset " + at
                        + " exceeds the " + buf.remaining() + " bytes left");
            }
            return n;
        }

        private String string() throws WireException {
            int at = buf.position();
            int n = count(1);
            ByteBuffer slice = buf.slice(buf.position(), n);
            buf.position(buf.position() + n);
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(slice).toString();
            } catch (CharacterCodingException e) {
                throw new WireException("string at offset " + at + " is not valid UTF-8");
            }
        }
    }
}
