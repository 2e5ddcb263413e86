package jdm.md.raid456;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.Op;
import jdm.md.Rdev;
import jdm.md.SyncAction;

/**
 * One piece of work on a window of one stripe (a chunk row), as raid5.c's handle_stripe does it for its
 * stripe_heads: the window is cut into 4 KiB columns (one stripe_head each, STRIPE_SIZE), and for every member a
 * buffer holds its pages of the window. It decides per column what to read (handle_stripe_dirtying's
 * read-modify-write vs reconstruct-write counts, fetch_block for degraded reads), reads it from the members in one
 * bio per contiguous run, rebuilds what is missing or failed to read (raid5 XOR, raid6 recov.c), computes parity,
 * writes, and rewrites blocks that failed to read (md's read-error correction). Runs on a thread that may block
 * (see {@link StripeQueue}); one instance per piece of work.
 */
final class StripeHead {
    static final int PAGE = 4096;
    static final int PAGE_SECTORS = 8;

    private static final int NONE = 0;
    private static final int PARTIAL = 1;
    private static final int FULL = 2;

    private static final int RMW = 1;
    private static final int RCW = 2;
    private static final int RECONSTRUCT = 3;

    private final Raid456 conf;
    private final ParityKernel k;
    private final int disks;
    private final int cols;
    private final long firstSector;       // member sector of column 0
    private final int p;
    private final int q;                  // -1 below raid6
    private final int[] slot;             // member -> syndrome slot, -1 for P and Q
    private final int[] order;            // syndrome slot -> member
    private final int[] dataMember;       // data index -> member
    private final Rdev[] rdev;
    private final Rdev[] replacement;     // a member being replaced (--replace): written with it, rebuilt by sync
    private final byte[][] buf;
    private final boolean[][] have;       // buf holds the member's current bytes for the column
    private final boolean[][] bad;        // the member failed to read the column
    private final int[] offs;             // scratch: offsets for the parity calls

    /** The window: columns c0 (inclusive) to c1 (exclusive) of stripe (chunk row) {@code stripe}. */
    StripeHead(Raid456 conf, long stripe, int c0, int c1) {
        this.conf = conf;
        this.k = conf.parity();
        this.disks = conf.layout().disks();
        this.cols = c1 - c0;
        this.firstSector = stripe * conf.layout().chunkSectors() + (long) c0 * PAGE_SECTORS;
        this.p = conf.layout().parityMember(stripe);
        this.q = conf.layout().qMember(stripe);
        this.order = conf.layout().syndromeOrder(stripe);
        this.slot = new int[disks];
        Arrays.fill(slot, -1);
        for (int z = 0; z < order.length; z++) {
            slot[order[z]] = z;
        }
        this.dataMember = new int[order.length];
        for (int i = 0; i < dataMember.length; i++) {
            dataMember[i] = conf.layout().dataMember(stripe, i);
        }
        this.rdev = new Rdev[disks];
        this.replacement = new Rdev[disks];
        for (int m = 0; m < disks; m++) {
            rdev[m] = conf.mddev().rdev(m);
            replacement[m] = conf.mddev().replacement(m);
        }
        this.buf = new byte[disks][];
        for (int m = 0; m < disks; m++) {
            buf[m] = PagePool.take(cols * PAGE);
        }
        this.have = new boolean[disks][cols];
        this.bad = new boolean[disks][cols];
        this.offs = new int[order.length];
    }

    /** Gives the buffers back; the stripe head is done (every member bio it issued has ended). */
    void release() {
        for (int m = 0; m < disks; m++) {
            PagePool.give(buf[m]);
            buf[m] = null;
        }
    }

    // ---- member state ----------------------------------------------------------------------------------------

    private boolean writable(int m) {
        return rdev[m] != null && !rdev[m].faulty();
    }

    /** R5_Insync for the column: in sync, or recovered past it, and not failed to read. */
    private boolean usable(int m, int col) {
        Rdev r = rdev[m];
        return r != null && !r.faulty() && !bad[m][col]
                && (r.inSync() || r.recoveryOffset() >= firstSector + (long) (col + 1) * PAGE_SECTORS);
    }

    private int failed(int col) {
        int n = 0;
        for (int m = 0; m < disks; m++) {
            n += usable(m, col) ? 0 : 1;
        }
        return n;
    }

    private boolean isParity(int m) {
        return m == p || m == q;
    }

    // ---- the operations ----------------------------------------------------------------------------------------

    /** An array write of pieces of this stripe. */
    BlkStatus write(List<Piece> pieces, int flags) {
        int[][] cover = cover(pieces);
        int[] how = new int[cols];
        for (int attempt = 0; ; attempt++) {
            boolean[][] want = new boolean[disks][cols];
            for (int c = 0; c < cols; c++) {
                if (failed(c) > conf.maxDegraded()) {
                    return notCorrectable(c);
                }
                how[c] = chooseWrite(c, cover);
                for (int m = 0; m < disks; m++) {
                    want[m][c] = switch (how[c]) {
                        case RMW -> cover[m][c] != NONE || isParity(m);
                        case RCW -> !isParity(m) && cover[m][c] != FULL;
                        default -> usable(m, c);
                    };
                }
            }
            if (read(want) == 0) {
                break;
            }
            if (attempt > disks) {
                return BlkStatus.IOERR;
            }
        }
        for (int c = 0; c < cols; c++) {
            if (how[c] == RMW) {
                syndromeXor(c, cover);          // ops_run_prexor: take the old data out of P and Q
            } else if (how[c] == RECONSTRUCT) {
                reconstruct(c);
            }
        }
        merge(pieces);
        for (int c = 0; c < cols; ) {
            int e = c + 1;
            if (how[c] == RMW) {
                syndromeXor(c, cover);          // put the new data in
            } else {
                while (e < cols && how[e] != RMW) {
                    e++;
                }
                gen(c, e);
            }
            c = e;
        }
        boolean[][] out = new boolean[disks][cols];
        for (int m = 0; m < disks; m++) {
            for (int c = 0; c < cols; c++) {
                out[m][c] = writable(m) && (isParity(m) || cover[m][c] != NONE || bad[m][c]);
            }
        }
        if (!writeOut(out, flags)) {
            return BlkStatus.IOERR;
        }
        verifyCorrections();
        for (int c = 0; c < cols; c++) {
            if (failed(c) > conf.maxDegraded()) {
                return BlkStatus.IOERR;
            }
        }
        return BlkStatus.OK;
    }

    /** An array read that cannot go straight to its member: degraded, recovering, or after a read error. */
    BlkStatus read(List<Piece> pieces) {
        int[][] cover = cover(pieces);
        for (int attempt = 0; ; attempt++) {
            boolean[][] want = new boolean[disks][cols];
            for (int c = 0; c < cols; c++) {
                boolean direct = true;
                for (int m = 0; m < disks; m++) {
                    direct &= cover[m][c] == NONE || usable(m, c);
                }
                if (!direct && failed(c) > conf.maxDegraded()) {
                    return notCorrectable(c);
                }
                for (int m = 0; m < disks; m++) {
                    want[m][c] = direct ? cover[m][c] != NONE : usable(m, c);
                }
            }
            if (read(want) == 0) {
                break;
            }
            if (attempt > disks) {
                return BlkStatus.IOERR;
            }
        }
        for (int c = 0; c < cols; c++) {
            for (int m = 0; m < disks; m++) {
                if (cover[m][c] != NONE && !have[m][c]) {
                    reconstruct(c);
                    break;
                }
            }
        }
        for (Piece pc : pieces) {
            int m = dataMember[pc.dataIndex()];
            int off = (int) ((pc.chunkSector() - chunkOffset()) * Bio.SECTOR_SIZE);
            pc.data().put(0, buf[m], off, pc.sectors() * Bio.SECTOR_SIZE);
        }
        correctReadErrors();
        return BlkStatus.OK;
    }

    /**
     * One window of the sync thread's action (raid5's sync_request + handle_parity_checks5/6). IOERR when a
     * recovery could not rebuild a page (too many members lost): the caller then leaves the recovery offset.
     */
    BlkStatus sync(SyncAction action, AtomicLong mismatches, List<Rdev> rebuilt) {
        for (int attempt = 0; ; attempt++) {
            boolean[][] want = new boolean[disks][cols];
            for (int c = 0; c < cols; c++) {
                for (int m = 0; m < disks; m++) {
                    want[m][c] = usable(m, c) && (action != SyncAction.RESYNC || !isParity(m));
                }
            }
            if (read(want) == 0) {
                break;
            }
            if (attempt > disks) {
                return BlkStatus.IOERR;
            }
        }
        boolean[][] out = new boolean[disks][cols];
        boolean[][] replaceOut = new boolean[disks][cols];
        boolean recoveryFailed = false;
        byte[] pp = new byte[PAGE];
        byte[] qq = q < 0 ? null : new byte[PAGE];
        for (int c = 0; c < cols; c++) {
            int lost = 0;
            boolean dataLost = false;
            for (int m = 0; m < disks; m++) {
                if (!have[m][c] && !(action == SyncAction.RESYNC && isParity(m))) {
                    lost++;
                    dataLost |= !isParity(m);
                }
            }
            if (lost > conf.maxDegraded() || action == SyncAction.RESYNC && dataLost && lost > 0) {
                // nothing to rebuild from (handle_failed_sync): a recovery stops advancing here
                recoveryFailed |= action == SyncAction.RECOVER;
                continue;
            }
            switch (action) {
                case RESYNC -> {
                    if (bad[p][c] || q >= 0 && bad[q][c] || lost > 0) {
                        reconstruct(c);
                    }
                    gen(c, c + 1);
                    out[p][c] = true;
                    if (q >= 0) {
                        out[q][c] = true;
                    }
                }
                case CHECK, REPAIR -> {
                    if (lost > 0) {
                        reconstruct(c);    // a read error: rebuild and rewrite, nothing to compare
                        break;
                    }
                    genInto(c, pp, qq);
                    boolean pBad = !Arrays.equals(pp, 0, PAGE, buf[p], c * PAGE, (c + 1) * PAGE);
                    boolean qBad = q >= 0 && !Arrays.equals(qq, 0, PAGE, buf[q], c * PAGE, (c + 1) * PAGE);
                    if (pBad || qBad) {
                        mismatches.addAndGet(PAGE_SECTORS);
                        if (action == SyncAction.REPAIR) {
                            if (pBad) {
                                System.arraycopy(pp, 0, buf[p], c * PAGE, PAGE);
                                out[p][c] = true;
                            }
                            if (qBad) {
                                System.arraycopy(qq, 0, buf[q], c * PAGE, PAGE);
                                out[q][c] = true;
                            }
                        }
                    }
                }
                case RECOVER -> {
                    if (lost > 0) {
                        reconstruct(c);
                    }
                    for (int m = 0; m < disks; m++) {
                        Rdev r = replacement[m];
                        if (r != null && !r.faulty()
                                && r.recoveryOffset() < firstSector + (long) (c + 1) * PAGE_SECTORS) {
                            replaceOut[m][c] = true;
                            if (!rebuilt.contains(r)) {
                                rebuilt.add(r);
                            }
                        }
                    }
                    for (int m = 0; m < disks; m++) {
                        Rdev r = rdev[m];
                        if (writable(m) && !r.inSync()
                                && r.recoveryOffset() < firstSector + (long) (c + 1) * PAGE_SECTORS) {
                            out[m][c] = true;
                            if (!rebuilt.contains(r)) {
                                rebuilt.add(r);
                            }
                        }
                    }
                }
                default -> throw new UnsupportedOperationException(action.sysfsName());
            }
        }
        for (int m = 0; m < disks; m++) {
            for (int c = 0; c < cols; c++) {
                out[m][c] |= bad[m][c] && have[m][c] && writable(m);
            }
        }
        if (!writeOut(out, 0)) {
            return BlkStatus.IOERR;
        }
        writeReplacements(replaceOut, 0);
        verifyCorrections();
        return recoveryFailed ? BlkStatus.IOERR : BlkStatus.OK;
    }

    // ---- planning ----------------------------------------------------------------------------------------------

    private int chunkOffset() {
        return (int) (firstSector % conf.layout().chunkSectors());
    }

    /** Per member and column: how much of the column's page the pieces write (R5_OVERWRITE = FULL). */
    private int[][] cover(List<Piece> pieces) {
        int[][] cover = new int[disks][cols];
        int base = chunkOffset();
        for (Piece pc : pieces) {
            int m = dataMember[pc.dataIndex()];
            int from = pc.chunkSector() - base;
            int to = from + pc.sectors();
            for (int c = from / PAGE_SECTORS; c * PAGE_SECTORS < to; c++) {
                int lo = Math.max(from, c * PAGE_SECTORS);
                int hi = Math.min(to, (c + 1) * PAGE_SECTORS);
                int now = lo == c * PAGE_SECTORS && hi == (c + 1) * PAGE_SECTORS ? FULL : PARTIAL;
                cover[m][c] = Math.max(cover[m][c], now);   // batched writes: any whole-page one overwrites
            }
        }
        return cover;
    }

    /**
     * handle_stripe_dirtying: count the blocks read-modify-write must read (the written data and the parity)
     * against those reconstruct-write must read (the data not wholly overwritten); a block on a member that is not
     * in sync costs 2 * disks. rmw wins only when strictly cheaper (rmw_level PARITY_ENABLE_RMW). When the cheaper
     * way still needs a block that cannot be read, the column is rebuilt first (fetch_block / compute).
     */
    private int chooseWrite(int c, int[][] cover) {
        int rmw = 0;
        int rcw = 0;
        for (int m = 0; m < disks; m++) {
            int cost = usable(m, c) ? 1 : 2 * disks;
            if (have[m][c]) {
                continue;
            }
            if (cover[m][c] != NONE || isParity(m)) {
                rmw += cost;
            }
            if (!isParity(m) && cover[m][c] != FULL) {
                rcw += cost;
            }
        }
        if (rmw < rcw && rmw > 0) {
            return rmw >= 2 * disks ? RECONSTRUCT : RMW;
        }
        return rcw >= 2 * disks ? RECONSTRUCT : RCW;
    }

    // ---- parity ------------------------------------------------------------------------------------------------

    /** P (and Q) of columns [c, e) from the data in the buffers. */
    private void gen(int c, int e) {
        byte[][] data = new byte[order.length][];
        for (int z = 0; z < order.length; z++) {
            data[z] = buf[order[z]];
            offs[z] = c * PAGE;
        }
        k.gen(data, offs, (e - c) * PAGE, buf[p], c * PAGE, q < 0 ? null : buf[q], c * PAGE);
    }

    private void genInto(int c, byte[] pp, byte[] qq) {
        byte[][] data = new byte[order.length][];
        for (int z = 0; z < order.length; z++) {
            data[z] = buf[order[z]];
            offs[z] = c * PAGE;
        }
        k.gen(data, offs, PAGE, pp, 0, qq, 0);
    }

    /** xor_syndrome of the data blocks the pieces write in column c into P and Q. */
    private void syndromeXor(int c, int[][] cover) {
        byte[][] data = new byte[order.length][];
        for (int z = 0; z < order.length; z++) {
            data[z] = cover[order[z]][c] != NONE ? buf[order[z]] : null;
            offs[z] = c * PAGE;
        }
        if (q < 0) {
            for (byte[] d : data) {
                if (d != null) {
                    k.xor(buf[p], c * PAGE, d, c * PAGE, PAGE);
                }
            }
        } else {
            k.xorSyndrome(data, offs, PAGE, buf[p], c * PAGE, buf[q], c * PAGE);
        }
    }

    /**
     * Fills in every member's page of column c that was not read, from the others: a lost data block from P by
     * XOR, or from Q alone (raid6_datap_recov), or two from P and Q (raid6_2data_recov); then lost P and Q are
     * computed. The caller has checked that no more are lost than the level allows.
     */
    private void reconstruct(int c) {
        int off = c * PAGE;
        List<Integer> lost = new ArrayList<>(2);
        for (int z = 0; z < order.length; z++) {
            if (!have[order[z]][c]) {
                lost.add(z);
            }
        }
        boolean pLost = !have[p][c];
        boolean qLost = q >= 0 && !have[q][c];
        if (lost.size() > conf.maxDegraded()) {
            throw new IllegalStateException("column with " + lost.size() + " lost data blocks");
        }
        byte[][] others = new byte[order.length][];
        for (int z = 0; z < order.length; z++) {
            others[z] = lost.contains(z) ? null : buf[order[z]];
            offs[z] = off;
        }
        if (lost.size() == 1 && !pLost) {
            byte[] d = buf[order[lost.get(0)]];
            System.arraycopy(buf[p], off, d, off, PAGE);
            k.xorSyndrome(others, offs, PAGE, d, off, null, 0);
        } else if (lost.size() == 1) {
            int x = lost.get(0);
            byte[] qx = Arrays.copyOfRange(buf[q], off, off + PAGE);
            k.xorSyndrome(others, offs, PAGE, null, 0, qx, 0);    // leaves g^x * Dx
            Parities.mulInto(buf[order[x]], off, qx, 0, PAGE, Parities.inv(Parities.exp(x)));
        } else if (lost.size() == 2) {
            int x = lost.get(0);
            int y = lost.get(1);
            byte[] pxy = Arrays.copyOfRange(buf[p], off, off + PAGE);
            byte[] qxy = Arrays.copyOfRange(buf[q], off, off + PAGE);
            k.xorSyndrome(others, offs, PAGE, pxy, 0, qxy, 0);   // pxy = Dx ^ Dy, qxy = g^x Dx ^ g^y Dy
            int pbmul = Parities.inv(Parities.exp(y - x) ^ 1);
            int qmul = Parities.inv(Parities.exp(x) ^ Parities.exp(y));
            byte[] dx = buf[order[x]];
            byte[] dy = buf[order[y]];
            for (int i = 0; i < PAGE; i++) {
                int b = Parities.mul(pbmul, pxy[i]) ^ Parities.mul(qmul, qxy[i]);
                dy[off + i] = (byte) b;
                dx[off + i] = (byte) (b ^ pxy[i]);
            }
        }
        for (int z : lost) {
            have[order[z]][c] = true;
        }
        if (pLost || qLost) {
            byte[] pp = new byte[PAGE];
            byte[] qq = q < 0 ? null : new byte[PAGE];
            genInto(c, pp, qq);
            if (pLost) {
                System.arraycopy(pp, 0, buf[p], off, PAGE);
                have[p][c] = true;
            }
            if (qLost) {
                System.arraycopy(qq, 0, buf[q], off, PAGE);
                have[q][c] = true;
            }
        }
    }

    /** Copies the pieces' new data over the members' pages. */
    private void merge(List<Piece> pieces) {
        int base = chunkOffset();
        for (Piece pc : pieces) {
            int m = dataMember[pc.dataIndex()];
            pc.data().get(0, buf[m], (pc.chunkSector() - base) * Bio.SECTOR_SIZE, pc.sectors() * Bio.SECTOR_SIZE);
            int c0 = (pc.chunkSector() - base) / PAGE_SECTORS;
            int c1 = (pc.chunkSector() - base + pc.sectors() + PAGE_SECTORS - 1) / PAGE_SECTORS;
            for (int c = c0; c < c1; c++) {
                have[m][c] = true;
            }
        }
    }

    // ---- member I/O --------------------------------------------------------------------------------------------

    private record Run(int member, int col, int cols) {
    }

    private static List<Run> runs(boolean[][] want) {
        List<Run> runs = new ArrayList<>();
        for (int m = 0; m < want.length; m++) {
            for (int c = 0; c < want[m].length; ) {
                if (!want[m][c]) {
                    c++;
                    continue;
                }
                int e = c + 1;
                while (e < want[m].length && want[m][e]) {
                    e++;
                }
                runs.add(new Run(m, c, e - c));
                c = e;
            }
        }
        return runs;
    }

    /** Issues the runs as member bios (into buf, or scratch when given) and waits for them all. */
    private BlkStatus[] io(Op op, int flags, List<Run> runs, byte[][] target) {
        return io(op, flags, runs, target, rdev);
    }

    private BlkStatus[] io(Op op, int flags, List<Run> runs, byte[][] target, Rdev[] rdev) {
        BlkStatus[] status = new BlkStatus[runs.size()];
        CountDownLatch done = new CountDownLatch(runs.size());
        List<Bio> bios = new ArrayList<>(runs.size());
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            int n = i;
            bios.add(rdev[r.member()].bio(op, flags, firstSector + (long) r.col() * PAGE_SECTORS,
                    r.cols() * PAGE_SECTORS, ByteBuffer.wrap(target[r.member()], r.col() * PAGE, r.cols() * PAGE),
                    b -> {
                        status[n] = b.status();
                        done.countDown();
                    }));
        }
        for (Bio b : bios) {
            b.submit();
        }
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return status;
    }

    /** Reads the wanted pages not yet held; returns how many runs failed (their pages are marked bad). */
    private int read(boolean[][] want) {
        for (int m = 0; m < disks; m++) {
            for (int c = 0; c < cols; c++) {
                want[m][c] &= !have[m][c] && !bad[m][c] && rdev[m] != null;
            }
        }
        List<Run> runs = runs(want);
        if (runs.isEmpty()) {
            return 0;
        }
        BlkStatus[] status = io(Op.READ, 0, runs, buf);
        List<Run> retry = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            if (status[i] != BlkStatus.OK && r.cols() > 1) {    // R5_ReadNoMerge: find the page that fails
                for (int c = r.col(); c < r.col() + r.cols(); c++) {
                    retry.add(new Run(r.member(), c, 1));
                }
            }
        }
        if (!retry.isEmpty()) {
            BlkStatus[] again = io(Op.READ, 0, retry, buf);
            List<Run> merged = new ArrayList<>();
            List<BlkStatus> mergedStatus = new ArrayList<>();
            for (int i = 0; i < runs.size(); i++) {
                if (status[i] == BlkStatus.OK || runs.get(i).cols() == 1) {
                    merged.add(runs.get(i));
                    mergedStatus.add(status[i]);
                }
            }
            merged.addAll(retry);
            mergedStatus.addAll(Arrays.asList(again));
            runs = merged;
            status = mergedStatus.toArray(new BlkStatus[0]);
        }
        int failures = 0;
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            for (int c = r.col(); c < r.col() + r.cols(); c++) {
                if (status[i] == BlkStatus.OK) {
                    have[r.member()][c] = true;
                } else {
                    bad[r.member()][c] = true;
                }
            }
            failures += status[i] == BlkStatus.OK ? 0 : 1;
        }
        return failures;
    }

    /**
     * Writes the pages to the members being replaced in their roles (R5_NeedReplace / the replacement's writes);
     * a failed write fails only the replacement.
     */
    private void writeReplacements(boolean[][] out, int flags) {
        List<Run> runs = runs(out);
        if (runs.isEmpty()) {
            return;
        }
        BlkStatus[] status = io(Op.WRITE, flags & Bio.FUA, runs, buf, replacement);
        for (int i = 0; i < runs.size(); i++) {
            if (status[i] != BlkStatus.OK) {
                conf.mddev().error(replacement[runs.get(i).member()]);
            }
        }
    }

    /** Writes the marked pages; a member whose write fails is failed (md_error). False when that lost data. */
    private boolean writeOut(boolean[][] out, int flags) {
        List<Run> runs = runs(out);
        if (runs.isEmpty()) {
            return true;
        }
        boolean[][] repl = new boolean[disks][];
        boolean anyRepl = false;
        for (int m = 0; m < disks; m++) {
            repl[m] = new boolean[cols];
            if (replacement[m] != null && !replacement[m].faulty()) {
                System.arraycopy(out[m], 0, repl[m], 0, cols);
                anyRepl = true;
            }
        }
        if (anyRepl) {
            writeReplacements(repl, flags);
        }
        BlkStatus[] status = io(Op.WRITE, flags & Bio.FUA, runs, buf);
        boolean ok = true;
        for (int i = 0; i < runs.size(); i++) {
            if (status[i] != BlkStatus.OK) {
                Rdev r = rdev[runs.get(i).member()];
                r.set(Rdev.Flag.WRITE_ERROR_SEEN);
                conf.mddev().error(r);
                ok &= r.faulty();
                for (int c = runs.get(i).col(); c < runs.get(i).col() + runs.get(i).cols(); c++) {
                    bad[runs.get(i).member()][c] = false;   // nothing left to correct there
                }
            }
        }
        return ok;
    }

    /** The read error path of a read: rebuild the failed pages and write them back, then verify (R5_ReWrite). */
    private void correctReadErrors() {
        boolean[][] out = new boolean[disks][cols];
        boolean any = false;
        for (int m = 0; m < disks; m++) {
            for (int c = 0; c < cols; c++) {
                if (bad[m][c] && writable(m)) {
                    if (!have[m][c]) {
                        reconstruct(c);
                    }
                    out[m][c] = true;
                    any = true;
                }
            }
        }
        if (any && writeOut(out, 0)) {
            verifyCorrections();
        }
    }

    /**
     * After the rewrite of pages that failed to read: read them again (R5_ReadNoMerge); a good read counts the
     * pages as corrected errors, a bad one fails the member (raid5_end_read_request).
     */
    private void verifyCorrections() {
        boolean[][] again = new boolean[disks][cols];
        for (int m = 0; m < disks; m++) {
            for (int c = 0; c < cols; c++) {
                again[m][c] = bad[m][c] && writable(m);
            }
        }
        List<Run> runs = runs(again);
        if (runs.isEmpty()) {
            return;
        }
        byte[][] scratch = new byte[disks][];
        for (Run r : runs) {
            if (scratch[r.member()] == null) {
                scratch[r.member()] = new byte[cols * PAGE];
            }
        }
        BlkStatus[] status = io(Op.READ, 0, runs, scratch);
        String md = conf.mddev().name();
        for (int i = 0; i < runs.size(); i++) {
            Run run = runs.get(i);
            Rdev r = rdev[run.member()];
            for (int c = run.col(); c < run.col() + run.cols(); c++) {
                long s = firstSector + (long) c * PAGE_SECTORS + r.dataOffset();
                bad[run.member()][c] = false;
                if (status[i] == BlkStatus.OK) {
                    r.addCorrectedErrors(PAGE_SECTORS);
                    conf.mddev().log("md/raid:" + md + ": read error corrected (" + PAGE_SECTORS + " sectors at "
                            + s + " on " + r.name() + ")");
                } else {
                    conf.mddev().log("md/raid:" + md + ": read error NOT corrected!! (sector " + s + " on "
                            + r.name() + ").");
                }
            }
            if (status[i] != BlkStatus.OK) {
                conf.mddev().error(r);
            }
        }
    }

    /** Too many members lost for column c: the read errors in it cannot be corrected; the I/O fails. */
    private BlkStatus notCorrectable(int c) {
        String md = conf.mddev().name();
        for (int m = 0; m < disks; m++) {
            if (bad[m][c] && rdev[m] != null) {
                long s = firstSector + (long) c * PAGE_SECTORS + rdev[m].dataOffset();
                conf.mddev().log("md/raid:" + md + ": read error not correctable (sector " + s + " on "
                        + rdev[m].name() + ").");
                conf.mddev().error(rdev[m]);
            }
        }
        return BlkStatus.IOERR;
    }
}
