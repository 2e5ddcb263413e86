package jdm.block.dev;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.LongAdder;

/**
 * A backing file mapped into memory, so that small reads and writes of pages the page cache already holds skip
 * the file system's write path. A 4 KiB buffered pwrite(2) to ext4 walks the page cache and every buffer head of
 * the (large) folio: 25-35 us measured on Linux 6.18, where the same bytes copied into a shared mapping of the file
 * cost 1-4 us. The mapping is the same page cache the system calls use, so both ways see each other's bytes at
 * once; the copied pages are dirty like written ones, so fdatasync (FLUSH, FUA) writes them back, and they outlive
 * the process as the page cache does.
 *
 * <p>Reads are plain memory copies out of the mapping. Writes are copied in by the kernel, with process_vm_writev(2)
 * to our own process: a SIGKILL stops a thread only on its way back from the kernel, so the call copies at least
 * whole pages, as pwrite does, and a write the kill interrupts is old or new sector by sector. A copy of our own
 * (memcpy) can be stopped at any instruction, leaving half a sector new and half old: the daemon's kill loop found
 * such blocks. Where the call is refused (a seccomp filter) or the buffer is on the heap, writes are system calls.
 *
 * <p>Only pages known to be in the page cache go by copy: a page first reached through the mapping would fault and
 * be read from the disk, even for a write that replaces it whole (pwrite skips that read), and a page in a hole
 * would be allocated inside the fault, where a full file system can only signal. So a page becomes
 * {@linkplain #resident known resident} once a system call read or wrote it (or mincore(2) found it cached when the
 * file was mapped), and stops being so when a hole is punched in it ({@link #dropped}). A page the kernel evicted
 * later is simply read back by the fault. Should a copy fault anyway (the file was truncated under us, an I/O
 * error on that read-back, no space for a page in a hole after all), the same I/O is done by system call, which
 * reports the real error: process_vm_writev returns short, and a read's fault the JVM turns into an InternalError:
 * compiled code raises it in the copy, where it is caught here, but the interpreter only at a later return, so the
 * device also catches it around the whole request ({@link FileDevice}).
 *
 * <p>The residency map is a bit per 4 KiB page, allocated a GiB of the file at a time as pages are first seen, and
 * updated without locks: a bit lost to a race only sends one more request the system call's way.
 */
final class FileMapping implements AutoCloseable {
    /** Requests up to this size go by copy; larger ones are efficient as system calls and may stream. */
    static final int MAX_COPY = 32 << 10;
    private static final int PAGE_SHIFT = 12;
    private static final int CHUNK_SHIFT = 30; // residency bits are allocated per GiB of the file
    private static final int PAGES_PER_CHUNK_SHIFT = CHUNK_SHIFT - PAGE_SHIFT;
    private static final MethodHandle MINCORE = mincore();
    private static final int PID = (int) ProcessHandle.current().pid(); // before the handle: its probe uses it
    private static final MethodHandle PROCESS_VM_WRITEV = processVmWritev();

    private static MethodHandle mincore() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.downcallHandle(linker.defaultLookup().find("mincore").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                            ValueLayout.ADDRESS));
        } catch (RuntimeException e) { // no native access: residency is learnt from the system calls only
            return null;
        }
    }

    /**
     * process_vm_writev(pid, local iovec, 1, remote iovec, 1, 0), or null where it cannot be called. Critical: no
     * thread-state change around a call of a few microseconds, and the two iovecs may be a heap array.
     */
    private static MethodHandle processVmWritev() {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle h = linker.downcallHandle(linker.defaultLookup().find("process_vm_writev").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                    Linker.Option.critical(true));
            try (Arena probe = Arena.ofConfined()) { // one copy of 8 bytes: tells whether a seccomp filter refuses it
                MemorySegment from = probe.allocate(16).fill((byte) 1);
                MemorySegment iov = MemorySegment.ofArray(new long[] {from.address(), 8, from.address() + 8, 8});
                long n = (long) h.invokeExact(PID, iov, 1L, iov.asSlice(16), 1L, 0L);
                return n == 8 ? h : null;
            }
        } catch (Throwable e) { // no native access, no such call: writes are system calls
            return null;
        }
    }

    private final Arena arena;
    private final MemorySegment map;
    private final boolean writable;
    private final long[][] resident;
    /**
     * Requests served by copy (for tests). A LongAdder, not a plain field beside map and resident: writing it from
     * every request would take their cache line from the other CPUs each time.
     */
    private final LongAdder copies = new LongAdder();

    private FileMapping(Arena arena, MemorySegment map, boolean writable) {
        this.arena = arena;
        this.map = map;
        this.writable = writable;
        this.resident = new long[(int) ((map.byteSize() + (1L << CHUNK_SHIFT) - 1) >>> CHUNK_SHIFT)][];
    }

    /** The first size bytes of the file mapped (read-write unless readOnly), or null where it cannot be mapped. */
    static FileMapping open(FileChannel channel, long size, boolean readOnly) {
        if (size <= 0) {
            return null;
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment m = channel.map(readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE,
                    0, size, arena);
            FileMapping mapping = new FileMapping(arena, m, !readOnly);
            mapping.seedFromPageCache();
            return mapping;
        } catch (IOException | RuntimeException e) { // not mappable (a pipe, a character device): calls only
            arena.close();
            return null;
        }
    }

    /**
     * Reads dst's remaining bytes from file position pos by copy if they are small and known resident; false if
     * not done (dst unchanged in position either way).
     */
    boolean read(ByteBuffer dst, long pos) {
        int len = dst.remaining();
        if (len > MAX_COPY || !isResident(pos, len)) {
            return false;
        }
        try {
            MemorySegment.copy(map, pos, MemorySegment.ofBuffer(dst), 0, len);
        } catch (InternalError | IllegalStateException e) { // a fault, or the mapping closed: the call does it
            return false;
        }
        copies.increment();
        return true;
    }

    /**
     * As {@link #read}, the other way: src's remaining bytes to file position pos, copied by the kernel (see the
     * class comment) when src is a direct buffer. The mapping is closed only after the device's I/O drained (the
     * last table holding the file was released after a suspend), so no write races the close; one after it is
     * refused here and fails on the closed channel.
     */
    boolean write(ByteBuffer src, long pos) {
        int len = src.remaining();
        if (!writable || PROCESS_VM_WRITEV == null || !src.isDirect() || len > MAX_COPY || !isResident(pos, len)) {
            return false;
        }
        if (!map.scope().isAlive()) { // raw addresses pass no liveness check: never write where the file was mapped
            return false;
        }
        long[] iov = {MemorySegment.ofBuffer(src).address(), len, map.address() + pos, len};
        MemorySegment v = MemorySegment.ofArray(iov);
        long n;
        try {
            n = (long) PROCESS_VM_WRITEV.invokeExact(PID, v, 1L, v.asSlice(16), 1L, 0L);
        } catch (Throwable e) {
            return false;
        }
        if (n != len) { // a fault in the mapping (see the class comment): pwrite writes it all again, or fails
            return false;
        }
        copies.increment();
        return true;
    }

    /** Marks the pages the page cache holds now (mincore(2), a GiB at a time), as if a system call had read them. */
    private void seedFromPageCache() {
        if (MINCORE == null) {
            return;
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment vec = scratch.allocate(1L << PAGES_PER_CHUNK_SHIFT);
            for (long off = 0; off < map.byteSize(); off += 1L << CHUNK_SHIFT) {
                long len = Math.min(1L << CHUNK_SHIFT, map.byteSize() - off);
                if ((int) MINCORE.invokeExact(map.asSlice(off, len), len, vec) != 0) {
                    return;
                }
                long pages = (len + (1 << PAGE_SHIFT) - 1) >>> PAGE_SHIFT;
                for (long p = 0; p < pages; p++) {
                    if ((vec.get(ValueLayout.JAVA_BYTE, p) & 1) != 0) {
                        resident(off + (p << PAGE_SHIFT), 1);
                    }
                }
            }
        } catch (Throwable e) {
            // no seed: residency is learnt from the system calls
        }
    }

    /** The pages of [pos, pos + len) are in the page cache now (a system call just read or wrote them). */
    void resident(long pos, long len) {
        long end = Math.min(pos + len, map.byteSize());
        for (long page = pos >>> PAGE_SHIFT; page << PAGE_SHIFT < end; page++) {
            long[] bits = chunk(page, true);
            int i = (int) (page & ((1 << PAGES_PER_CHUNK_SHIFT) - 1));
            if ((bits[i >>> 6] & 1L << i) == 0) { // written only when it changes: the words are shared by CPUs
                bits[i >>> 6] |= 1L << i;
            }
        }
    }

    /** The pages touching [pos, pos + len) may be holes now, or gone from the page cache. */
    void dropped(long pos, long len) {
        long end = Math.min(pos + len, map.byteSize());
        for (long page = pos >>> PAGE_SHIFT; page << PAGE_SHIFT < end; page++) {
            long[] bits = chunk(page, false);
            if (bits != null) {
                int i = (int) (page & ((1 << PAGES_PER_CHUNK_SHIFT) - 1));
                bits[i >>> 6] &= ~(1L << i);
            }
        }
    }

    private boolean isResident(long pos, int len) {
        if (pos < 0 || pos + len > map.byteSize()) {
            return false;
        }
        for (long page = pos >>> PAGE_SHIFT; page << PAGE_SHIFT < pos + len; page++) {
            long[] bits = chunk(page, false);
            int i = (int) (page & ((1 << PAGES_PER_CHUNK_SHIFT) - 1));
            if (bits == null || (bits[i >>> 6] & 1L << i) == 0) {
                return false;
            }
        }
        return true;
    }

    private long[] chunk(long page, boolean create) {
        int c = (int) (page >>> PAGES_PER_CHUNK_SHIFT);
        long[] bits = resident[c];
        if (bits == null && create) {
            bits = new long[1 << (PAGES_PER_CHUNK_SHIFT - 6)];
            resident[c] = bits;
        }
        return bits;
    }

    /** Whether writes may go by copy here (the kernel's copy is allowed); else only reads do. */
    static boolean writesByCopy() {
        return PROCESS_VM_WRITEV != null;
    }

    /** Requests served by copy so far. */
    long copies() {
        return copies.sum();
    }

    /** Unmaps the file: only once no I/O is in flight (the device is being closed). */
    @Override
    public void close() {
        try {
            arena.close();
        } catch (IllegalStateException e) {
            // still in use by a racing access: the mapping stays until the process ends, which loses nothing
        }
    }
}
