package jdm.crash;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The checksummed-block workload over several NBD connections at once: each connection owns every n-th block
 * (so no two writes to one block are ever in flight), keeps up to {@code window} writes in flight, sends a share
 * of them with FUA, and every {@code flushEvery} writes sends a FLUSH. The {@link WriteLedger} learns what was
 * sent, and what became durable: a write acknowledged with FUA, or acknowledged before a FLUSH was sent that
 * then completed. FLUSHes are sent one at a time across all connections, so the n-th FLUSH a log records is the
 * n-th one here. The workload stops when told, or when a connection breaks (the server was killed).
 *
 * <p>A block written without FUA is not written with FUA again before a FLUSH has covered it: dm-log-writes (the
 * kernel's, and jdm's after it) logs a FUA write at once but an ordinary one only when the next FLUSH arrives, so
 * that pattern would replay the older write over the newer one, a state no disk with a write cache can reach.
 */
public final class BlockWorkload {
    public record Options(int connections, int window, double fuaShare, int flushEvery) {
    }

    /** A FLUSH that completed, numbered in order, with the writes (block, seq) it made durable. */
    public record Flush(int ordinal, List<long[]> covered) {
    }

    private final WriteLedger ledger;
    private final Options options;
    private final AtomicLong seqs;
    private final Object flushOrder = new Object();
    private final List<Flush> flushes = new ArrayList<>();
    private final List<long[]> fuaWrites = new ArrayList<>();
    private long acked;

    /** seqs: the sequence counter (shared across runs, so sequence numbers stay unique). */
    public BlockWorkload(WriteLedger ledger, Options options, AtomicLong seqs) {
        this.ledger = ledger;
        this.options = options;
        this.seqs = seqs;
    }

    /** Runs connection c of clients.size() until keepGoing turns false or a connection breaks. */
    public void run(List<NbdClient> clients, long seed, BooleanSupplier keepGoing) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients.size(); c++) {
            int conn = c;
            threads.add(Thread.ofPlatform().name("crash-writer-" + c).start(() ->
                    runConnection(clients.get(conn), conn, clients.size(), new SplittableRandom(seed + conn),
                            keepGoing)));
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    public synchronized long acknowledged() {
        return acked;
    }

    public List<Flush> flushes() {
        synchronized (flushOrder) {
            return List.copyOf(flushes);
        }
    }

    /** The writes (block, seq) acknowledged with FUA. */
    public synchronized List<long[]> fuaWrites() {
        return List.copyOf(fuaWrites);
    }

    private void runConnection(NbdClient client, int conn, int conns, SplittableRandom rnd, BooleanSupplier go) {
        int mine = (ledger.blocks() - conn + conns - 1) / conns;
        Semaphore window = new Semaphore(options.window());
        Set<Integer> inFlight = new HashSet<>();
        List<long[]> ackedSinceFlush = new ArrayList<>();
        Map<Integer, Long> unflushed = new HashMap<>(); // block -> its last non-FUA write
        List<CompletableFuture<Integer>> sent = new ArrayList<>();
        try {
            for (int n = 1; go.getAsBoolean(); n++) {
                window.acquire();
                int block;
                synchronized (inFlight) {
                    do {
                        block = conn + conns * rnd.nextInt(mine);
                    } while (inFlight.contains(block));
                    inFlight.add(block);
                }
                long seq = seqs.incrementAndGet();
                boolean fua;
                synchronized (unflushed) {
                    fua = rnd.nextDouble() < options.fuaShare() && !unflushed.containsKey(block);
                    if (!fua) {
                        unflushed.put(block, seq);
                    }
                }
                ledger.sent(block, seq);
                int b = block;
                CompletableFuture<Integer> f = client.write((long) block * BlockPattern.BLOCK_BYTES,
                        BlockPattern.encode(block, seq), fua);
                sent.add(f.whenComplete((err, ex) -> {
                    if (ex == null && err == 0) {
                        ledger.acknowledged(b, seq);
                        synchronized (this) {
                            acked++;
                            if (fua) {
                                fuaWrites.add(new long[] {b, seq});
                            }
                        }
                        if (fua) {
                            ledger.durable(b, seq);
                        }
                        synchronized (ackedSinceFlush) {
                            ackedSinceFlush.add(new long[] {b, seq});
                        }
                    }
                    synchronized (inFlight) {
                        inFlight.remove(b);
                    }
                    window.release();
                }));
                if (f.isCompletedExceptionally()) {
                    return;
                }
                if (n % options.flushEvery() == 0 && !flush(client, ackedSinceFlush, unflushed)) {
                    return;
                }
                sent.removeIf(CompletableFuture::isDone);
            }
            sent.forEach(f -> f.exceptionally(ex -> -1).join());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends a FLUSH covering what this connection has seen acknowledged so far; false if the connection broke. */
    private boolean flush(NbdClient client, List<long[]> ackedSinceFlush, Map<Integer, Long> unflushed) {
        List<long[]> covered;
        synchronized (ackedSinceFlush) {
            covered = List.copyOf(ackedSinceFlush);
            ackedSinceFlush.clear();
        }
        synchronized (flushOrder) {
            int err;
            try {
                err = client.flush().join();
            } catch (RuntimeException e) {
                return false; // the connection broke: the FLUSH did not complete, nothing became durable
            }
            if (err != 0) {
                return false;
            }
            covered.forEach(w -> ledger.durable((int) w[0], w[1]));
            synchronized (unflushed) {
                covered.forEach(w -> unflushed.remove((int) w[0], w[1]));
            }
            flushes.add(new Flush(flushes.size(), covered));
            return true;
        }
    }

    /** Reads every block through a client and checks it against the ledger; returns the problems found. */
    public static List<String> verify(NbdClient client, WriteLedger ledger) throws IOException {
        return verify(client, ledger, false);
    }

    /**
     * As {@link #verify(NbdClient, WriteLedger)}; with everyAcknowledged, also every acknowledged write must be
     * there (see {@link WriteLedger#checkAcknowledged}).
     */
    public static List<String> verify(NbdClient client, WriteLedger ledger, boolean everyAcknowledged)
            throws IOException {
        List<String> problems = new ArrayList<>();
        int chunkBlocks = 256;
        for (int first = 0; first < ledger.blocks(); first += chunkBlocks) {
            int n = Math.min(chunkBlocks, ledger.blocks() - first);
            byte[] data = client.read((long) first * BlockPattern.BLOCK_BYTES, n * BlockPattern.BLOCK_BYTES);
            for (int i = 0; i < n; i++) {
                String p = ledger.check(first + i, data, i * BlockPattern.BLOCK_BYTES);
                if (p == null && everyAcknowledged) {
                    p = ledger.checkAcknowledged(first + i, data, i * BlockPattern.BLOCK_BYTES);
                }
                if (p != null) {
                    problems.add(p);
                }
            }
        }
        return problems;
    }
}
