package jdm.block.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.testing.SyncIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small reads and writes through the file's mapping: only pages the page cache is known to hold go by copy (the
 * rest by system call, which makes them known), the bytes are the file's both ways, a punched hole goes back to
 * system calls, a file truncated under the mapping (a copy that faults) still gets its I/O done by system call, and
 * writes go by copy only from direct buffers (the kernel copies them: see FileMapping).
 */
class FileMappingTest {
    @TempDir
    Path dir;

    private static byte[] random(int bytes, long seed) {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A 1 MiB file of random bytes, just written: the page cache holds all of it. */
    private Path cachedFile(String name, long seed) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, random(1 << 20, seed));
        return p;
    }

    /** Writes from a direct buffer, as the NBD server's are: only those go by copy. */
    private static BlkStatus write(FileDevice d, long sector, byte[] data) {
        ByteBuffer b = ByteBuffer.allocateDirect(data.length).put(data).flip();
        return new Bio(Op.WRITE, 0, d, sector, data.length / Bio.SECTOR_SIZE, b, null).submitAndWait();
    }

    private static byte[] fileBytes(Path p, long pos, int len) throws Exception {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(len);
            while (b.hasRemaining() && ch.read(b, pos + b.position()) > 0) {
                // until len bytes or the end of the file
            }
            return Arrays.copyOf(b.array(), b.position());
        }
    }

    @Test
    void cachedPagesAreCopiedBothWaysAndTheFileSeesTheBytes() throws Exception {
        Path p = cachedFile("cached.img", 1); // mincore finds it cached when the device opens
        try (FileDevice d = FileDevice.open(p, false)) {
            FileMapping m = d.mapping();
            assertThat(m).isNotNull();
            byte[] data = random(8192, 2);
            assertThat(write(d, 24, data)).isEqualTo(BlkStatus.OK); // 4 KiB-aligned: two whole pages
            assertThat(write(d, 41, Arrays.copyOf(data, 1024))).isEqualTo(BlkStatus.OK); // inside a page
            assertThat(m.copies()).isEqualTo(2);
            assertThat(fileBytes(p, 24 * 512, 8192)).isEqualTo(data);
            assertThat(fileBytes(p, 41 * 512, 1024)).isEqualTo(Arrays.copyOf(data, 1024));

            byte[] outside = random(4096, 3); // written beside the device: the mapping reads the same page cache
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(outside), 64 << 10);
            }
            assertThat(SyncIo.read(d, (64 << 10) / 512, 8)).isEqualTo(outside);
            assertThat(m.copies()).isEqualTo(3);
            assertThat(SyncIo.op(d, Op.FLUSH, 0, 0)).isEqualTo(BlkStatus.OK);
        }
    }

    @Test
    void pagesTheCacheDoesNotHoldGoBySystemCallFirstThenByCopy() throws Exception {
        Path p = dir.resolve("sparse.img");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(1 << 20); // a hole: nothing of it is in the page cache
        }
        try (FileDevice d = FileDevice.open(p, false)) {
            FileMapping m = d.mapping();
            byte[] a = random(4096, 4);
            byte[] b = random(4096, 5);
            assertThat(write(d, 16, a)).isEqualTo(BlkStatus.OK);
            assertThat(m.copies()).as("first write: pwrite, no fault reading the page in").isZero();
            assertThat(write(d, 16, b)).isEqualTo(BlkStatus.OK);
            assertThat(m.copies()).as("then the page is known cached").isEqualTo(1);
            assertThat(SyncIo.read(d, 24, 8)).isEqualTo(new byte[4096]); // a read learns its pages too
            assertThat(SyncIo.read(d, 24, 8)).isEqualTo(new byte[4096]);
            assertThat(m.copies()).isEqualTo(2);
            assertThat(fileBytes(p, 16 * 512, 4096)).isEqualTo(b);
        }
    }

    @Test
    void writesFromTheHeapStaySystemCalls() throws Exception {
        Path p = cachedFile("heap.img", 13);
        try (FileDevice d = FileDevice.open(p, false)) {
            byte[] data = random(4096, 14);
            assertThat(SyncIo.write(d, 8, data)).isEqualTo(BlkStatus.OK); // a heap buffer has no address to give
            assertThat(d.mapping().copies()).isZero();
            assertThat(fileBytes(p, 4096, 4096)).isEqualTo(data);
        }
    }

    @Test
    void largeRequestsStaySystemCalls() throws Exception {
        Path p = cachedFile("large.img", 6);
        try (FileDevice d = FileDevice.open(p, false)) {
            byte[] data = random(FileMapping.MAX_COPY + 4096, 7);
            assertThat(write(d, 0, data)).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.read(d, 0, data.length / 512)).isEqualTo(data);
            assertThat(d.mapping().copies()).isZero();
        }
    }

    @Test
    void aPunchedHoleGoesBackToSystemCalls() throws Exception {
        Path p = cachedFile("punch.img", 8);
        try (FileDevice d = FileDevice.open(p, false)) {
            FileMapping m = d.mapping();
            assertThat(SyncIo.op(d, Op.DISCARD, 0, 8)).isEqualTo(BlkStatus.OK);
            assertThat(SyncIo.op(d, Op.WRITE_ZEROES, 8, 8)).isEqualTo(BlkStatus.OK);
            byte[] data = random(4096, 9);
            assertThat(write(d, 0, data)).isEqualTo(BlkStatus.OK);
            assertThat(write(d, 8, data)).isEqualTo(BlkStatus.OK);
            assertThat(m.copies()).as("pages of a punched hole are written by pwrite").isZero();
            assertThat(fileBytes(p, 0, 4096)).isEqualTo(data);
            assertThat(fileBytes(p, 4096, 4096)).isEqualTo(data);
        }
    }

    @Test
    void aFileTruncatedUnderTheMappingStillGetsItsIoBySystemCall() throws Exception {
        Path p = cachedFile("shrunk.img", 10);
        try (FileDevice d = FileDevice.open(p, false)) {
            FileMapping m = d.mapping();
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.truncate(4096); // past the new end, a write's copy returns short, a read's faults (SIGBUS)
            }
            byte[] data = random(4096, 11);
            assertThat(write(d, 64, data)).isEqualTo(BlkStatus.OK);
            assertThat(fileBytes(p, 64 * 512, 4096)).as("pwrite wrote it, extending the file").isEqualTo(data);
            assertThat(SyncIo.read(d, 128, 8)).as("past the end: zeros, as a hole").isEqualTo(new byte[4096]);
            assertThat(SyncIo.read(d, 0, 8)).isEqualTo(fileBytes(p, 0, 4096));
            // page 0, still inside the file, went by copy; the copies that faulted past the end may count too (the
            // interpreter reports a fault only after FileMapping counted the copy, and the device redoes it)
            assertThat(m.copies()).isBetween(1L, 3L);
        }
    }

    @Test
    void aReadOnlyDeviceCopiesReadsAndRefusesWrites() throws Exception {
        Path p = dir.resolve("ro.img");
        byte[] content = random(1 << 20, 12);
        Files.write(p, content);
        try (FileDevice d = FileDevice.open(p, true)) {
            assertThat(SyncIo.read(d, 8, 8)).isEqualTo(Arrays.copyOfRange(content, 4096, 8192));
            assertThat(d.mapping().copies()).isEqualTo(1);
            assertThat(write(d, 8, new byte[4096])).isEqualTo(BlkStatus.PERM);
        }
        assertThat(Files.readAllBytes(p)).isEqualTo(content);
    }
}
