package jdm.tools;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import jdm.crash.NbdClient;
import jdm.daemon.Daemon;
import picocli.CommandLine.Command;

/**
 * "jdm aot-train" (hidden): a short NBD workload against a server in this process, for the launcher to record the
 * server's AOT cache from (JDK 25: the JVM run with -XX:AOTCacheOutput keeps the classes it loaded and linked and
 * the profiles of the methods it ran). A server started from that cache compiles its data path from the recorded
 * profiles as soon as it runs hot, instead of profiling it first through its first gigabytes: measured on 2 CPUs,
 * a fresh server's second 1 GiB nbdcopy to a RAM disk went ~2.8 -> ~3.0 GB/s and its third ~3.0 -> ~3.5.
 * The workload is what clients do most: pipelined large and small writes and reads, over a RAM disk and over a
 * file (by reference and through the bio path), and flushes.
 */
@Command(name = "aot-train", hidden = true,
        description = "Run a short NBD workload in-process (the launcher records the server's AOT cache from it).")
public final class AotTrainCommand implements Callable<Integer> {
    private static final long VOLUME_BYTES = 64L << 20;
    private static final int LARGE = 256 << 10;
    private static final int SMALL = 4 << 10;
    private static final int DEPTH = 32;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("jdm-aot-train");
        try {
            Path img = dir.resolve("train.img");
            try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
                f.setLength(VOLUME_BYTES);
            }
            Path socket = dir.resolve("nbd.sock");
            long sectors = VOLUME_BYTES >> 9;
            try (Daemon d = Daemon.start(new Daemon.Listen(socket, null, 0, null, 1, VOLUME_BYTES), null, ns -> {
                ns.createWithTable("ram", null, false, "0 " + sectors + " linear /dev/ram0 0", dir);
                ns.createWithTable("file", null, false, "0 " + sectors + " linear " + img + " 0", dir);
            })) {
                for (String export : List.of("ram", "file")) {
                    try (NbdClient c = NbdClient.connect(socket, export)) {
                        workload(c);
                    }
                }
            }
            return 0;
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void workload(NbdClient c) throws Exception {
        SplittableRandom rnd = new SplittableRandom(1);
        ByteBuffer large = ByteBuffer.allocateDirect(LARGE);
        ByteBuffer small = ByteBuffer.allocateDirect(SMALL);
        for (int round = 0; round < 4; round++) {
            pipelined(c, 1024, i -> c.write((long) i * LARGE % VOLUME_BYTES, large.duplicate(), false));
            pipelined(c, 8192, i -> c.write(rnd.nextLong(VOLUME_BYTES / SMALL) * SMALL, small.duplicate(), false));
            pipelined(c, 8192, i -> c.read(rnd.nextLong(VOLUME_BYTES / SMALL) * SMALL,
                    ByteBuffer.allocate(SMALL)));
            pipelined(c, 512, i -> c.read((long) i * LARGE % VOLUME_BYTES, ByteBuffer.allocate(LARGE)));
            check(c.flush().join());
        }
    }

    private interface Request {
        CompletableFuture<Integer> send(int i);
    }

    /** n requests, DEPTH in flight at a time. */
    private static void pipelined(NbdClient c, int n, Request r) throws Exception {
        ArrayDeque<CompletableFuture<Integer>> inFlight = new ArrayDeque<>();
        for (int i = 0; i < n; i++) {
            if (inFlight.size() == DEPTH) {
                check(inFlight.poll().join());
            }
            inFlight.add(r.send(i));
        }
        while (!inFlight.isEmpty()) {
            check(inFlight.poll().join());
        }
    }

    private static void check(int error) {
        if (error != 0) {
            throw new IllegalStateException("NBD error " + error + " during training");
        }
    }
}
