package jdm.md.sb;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;

/** The oracle's member dumps in src/test/resources/md/sb (see the README beside them). */
final class Resources {
    private Resources() {
    }

    /** The gzipped dump NAME.bin.gz: the member's first 8 KiB (12 KiB with a bitmap). */
    static byte[] member(String name) {
        try (InputStream in = open(name + ".bin.gz"); InputStream gz = new GZIPInputStream(in)) {
            return gz.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The superblock area of a dump: from 4 KiB (super_offset 8) to 8 KiB. */
    static ByteBuffer superblock(String name) {
        return ByteBuffer.wrap(member(name), 4096, 4096).slice();
    }

    static String text(String file) {
        try (InputStream in = open(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream open(String file) {
        InputStream in = Resources.class.getResourceAsStream("/md/sb/" + file);
        if (in == null) {
            throw new IllegalArgumentException("no test resource md/sb/" + file);
        }
        return in;
    }
}
