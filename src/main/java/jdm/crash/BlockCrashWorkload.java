package jdm.crash;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import jdm.daemon.Daemon;
import jdm.dm.DeviceNamespace;
import jdm.logwrites.LogEntry;
import jdm.logwrites.LogReplay;

/**
 * Workload (a) of jdm crashtest: the checksummed-block workload ({@link BlockWorkload}, four NBD connections, FUA
 * and FLUSH mixed in) on {@code log-writes} over a striped volume, then the log replayed onto a zeroed image and
 * checked at every FLUSH and FUA record: every write acknowledged before a FLUSH that the replay has passed, and
 * every FUA write the replay has passed, must be there (or a later write to its block), and every block must be
 * zeroes or one of the writes sent to it. FLUSHes are sent one at a time, so the n-th FLUSH record is the
 * workload's n-th FLUSH; every FUA write acknowledged must be in the log, and the fully replayed image must equal
 * the volume as the workload left it.
 */
final class BlockCrashWorkload {
    static final String NAME = "block";
    private static final int BLOCKS = 512; // 2 MiB: every crash point checks every block
    private static final int CONNECTIONS = 4;

    private final Daemon daemon;
    private final Path dir;
    private final CrashReport report;
    private final long seed;

    BlockCrashWorkload(Daemon daemon, Path dir, CrashReport report, long seed) {
        this.daemon = daemon;
        this.dir = dir;
        this.report = report;
        this.seed = seed;
    }

    void run(long goal) throws Exception {
        long before = report.points();
        AtomicLong seqs = new AtomicLong();
        for (int round = 0; report.points() - before < goal; round++) {
            round(round, goal - (report.points() - before), seqs);
        }
    }

    /** One workload + replay; about 0.28 crash points per write (20% FUA, a FLUSH every 12 writes). */
    private void round(int round, long points, AtomicLong seqs) throws Exception {
        long points0 = report.points();
        int v0 = report.violations();
        Recorded r = record(round, Math.min(20_000, points * 4 + 100), seqs);
        check(r);
        report.line(String.format("block workload, round %d: %d writes acknowledged (%d with FUA, %d FLUSHes),"
                        + " %d crash points, %d violations", round + 1, r.workload().acknowledged(),
                r.workload().fuaWrites().size(), r.workload().flushes().size(), report.points() - points0,
                report.violations() - v0));
    }

    /** What a workload run left to check: its log, what it did, and the volume's bytes at the end. */
    record Recorded(Path log, WriteLedger ledger, BlockWorkload workload, byte[] finalImage) {
    }

    /** Runs the workload through log-writes (over a striped volume) and tears the devices down. */
    Recorded record(int round, long writes, AtomicLong seqs) throws Exception {
        long sectors = BLOCKS * (BlockPattern.BLOCK_BYTES / 512L);
        Path d0 = sized("block-d0.img", sectors * 256);
        Path d1 = sized("block-d1.img", sectors * 256);
        Path log = sized("block-log.img", writes * (BlockPattern.BLOCK_BYTES + 512) + (8 << 20));
        DeviceNamespace ns = daemon.namespace();
        ns.createWithTable("crash-data", null, false, "0 " + sectors + " striped 2 64 " + d0 + " 0 " + d1 + " 0",
                dir);
        ns.createWithTable("crash-log", null, false, "0 " + sectors + " log-writes crash-data " + log, dir);
        WriteLedger ledger = new WriteLedger(BLOCKS);
        BlockWorkload w = new BlockWorkload(ledger, new BlockWorkload.Options(CONNECTIONS, 8, 0.2, 12), seqs);
        try {
            List<NbdClient> clients = new ArrayList<>();
            try {
                for (int c = 0; c < CONNECTIONS; c++) {
                    clients.add(NbdClient.connect(dir.resolve("nbd.sock"), "crash-log"));
                }
                AtomicLong budget = new AtomicLong(writes);
                w.run(clients, seed + round * 7919L, () -> budget.getAndDecrement() > 0);
                if (clients.get(0).flush().join() != 0) { // writes left unflushed would never reach the log
                    throw new IOException("final FLUSH failed");
                }
                return new Recorded(log, ledger, w, clients.get(0).read(0, BLOCKS * BlockPattern.BLOCK_BYTES));
            } finally {
                clients.forEach(NbdClient::close);
            }
        } finally {
            removeWhenClosed(ns, "crash-log");
            removeWhenClosed(ns, "crash-data");
        }
    }

    /** Replays the log onto a zeroed image and checks it at every FLUSH and FUA record. */
    void check(Recorded r) throws Exception {
        check(r.log(), sized("block-replay.img", (long) BLOCKS * BlockPattern.BLOCK_BYTES),
                r.ledger().withNothingDurable(), r.workload(), r.finalImage());
    }

    private void check(Path log, Path image, WriteLedger checker, BlockWorkload w, byte[] finalImage)
            throws Exception {
        List<BlockWorkload.Flush> flushes = w.flushes();
        Set<Long> fuaLogged = new HashSet<>();
        long[] seqOf = new long[BLOCKS];
        BitSet dirty = new BitSet();
        int flushRecords = 0;
        ByteBuffer data = ByteBuffer.allocate(1 << 20);
        try (LogReplay replay = LogReplay.open(log, image);
             FileChannel img = FileChannel.open(image, StandardOpenOption.READ)) {
            for (LogEntry e : replay.reader()) {
                replay.apply(e);
                if (e.hasData() || e.discard()) {
                    int first = (int) (e.byteOffset() / BlockPattern.BLOCK_BYTES);
                    int last = (int) ((e.byteOffset() + e.byteLength() - 1) / BlockPattern.BLOCK_BYTES);
                    dirty.set(first, Math.min(last, BLOCKS - 1) + 1);
                }
                if (e.fua() && e.hasData()) {
                    data.clear().limit((int) e.byteLength());
                    replay.reader().readData(e, data);
                    byte[] b = data.array();
                    for (int off = 0; off + BlockPattern.BLOCK_BYTES <= e.byteLength(); off += BlockPattern.BLOCK_BYTES) {
                        int block = (int) ((e.byteOffset() + off) / BlockPattern.BLOCK_BYTES);
                        long seq = BlockPattern.decode(block, b, off);
                        if (seq > 0) {
                            fuaLogged.add(seq);
                            checker.durable(block, seq);
                        }
                    }
                }
                if (e.flush()) {
                    if (flushRecords < flushes.size()) {
                        flushes.get(flushRecords).covered().forEach(c -> checker.durable((int) c[0], c[1]));
                    }
                    flushRecords++;
                }
                if (e.flush() || e.fua()) {
                    refresh(img, dirty, seqOf);
                    checkPoint(checker, seqOf, e);
                }
            }
            if (flushRecords < flushes.size()) {
                report.violation(NAME, "the log holds " + flushRecords + " FLUSH records, the workload completed "
                        + flushes.size() + " FLUSHes");
            }
            for (long[] fua : w.fuaWrites()) {
                if (!fuaLogged.contains(fua[1])) {
                    report.violation(NAME, "FUA write " + fua[1] + " to block " + fua[0]
                            + " was acknowledged but is not in the log as a FUA record");
                }
            }
            byte[] replayed = new byte[finalImage.length];
            readFully(img, ByteBuffer.wrap(replayed), 0);
            if (!java.util.Arrays.equals(replayed, finalImage)) {
                report.violation(NAME, "the fully replayed log differs from what the volume held at the end");
            }
        }
    }

    private void checkPoint(WriteLedger checker, long[] seqOf, LogEntry e) {
        int found = 0;
        for (int b = 0; b < BLOCKS; b++) {
            String p = checker.check(b, seqOf[b]);
            if (p != null && found++ < 3) {
                report.violation(NAME, "at log entry " + e.index() + " (" + (e.flush() ? "FLUSH" : "FUA") + "): " + p);
            }
        }
        report.point(NAME);
    }

    /** Decodes the blocks the replay changed since the last point, as the replayed image holds them. */
    private static void refresh(FileChannel img, BitSet dirty, long[] seqOf) throws IOException {
        byte[] buf = new byte[BlockPattern.BLOCK_BYTES];
        for (int b = dirty.nextSetBit(0); b >= 0; b = dirty.nextSetBit(b + 1)) {
            readFully(img, ByteBuffer.wrap(buf), (long) b * BlockPattern.BLOCK_BYTES);
            seqOf[b] = BlockPattern.decode(b, buf, 0);
        }
        dirty.clear();
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long offset) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, offset + b.position());
            if (n < 0) {
                throw new IOException("short image");
            }
        }
    }

    private Path sized(String name, long bytes) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(0); // a fresh, sparse (all-zero) file each round
            f.setLength(bytes);
        }
        return p;
    }

    /** Removes a device once the NBD connections that held it open have gone (they close asynchronously). */
    static void removeWhenClosed(DeviceNamespace ns, String name) throws Exception {
        for (int i = 0; ; i++) {
            try {
                if (ns.find(name) != null) {
                    ns.remove(name);
                }
                return;
            } catch (Exception e) {
                if (i >= 200) {
                    throw e;
                }
                Thread.sleep(25);
            }
        }
    }
}
