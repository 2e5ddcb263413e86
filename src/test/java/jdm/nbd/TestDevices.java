package jdm.nbd;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import jdm.block.Bio;
import jdm.block.BlkStatus;
import jdm.block.BlockDevice;
import jdm.block.Op;
import jdm.block.QueueLimits;

/** Block devices that let protocol tests see and steer what the server submits. */
final class TestDevices {
    private TestDevices() {
    }

    record Seen(Op op, int flags, long sector, int sectors) {
    }

    /** Passes bios to a backing device and records each one; optional queue limits to force splitting. */
    static final class Recording implements BlockDevice {
        final BlockDevice backing;
        final List<Seen> seen = new CopyOnWriteArrayList<>();
        private final QueueLimits limits;
        private final boolean readOnly;

        Recording(BlockDevice backing, QueueLimits limits, boolean readOnly) {
            this.backing = backing;
            this.limits = limits;
            this.readOnly = readOnly;
        }

        Recording(BlockDevice backing) {
            this(backing, QueueLimits.DEFAULT, false);
        }

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public long sizeSectors() {
            return backing.sizeSectors();
        }

        @Override
        public QueueLimits limits() {
            return limits;
        }

        @Override
        public boolean readOnly() {
            return readOnly;
        }

        @Override
        public void submitBio(Bio bio) {
            seen.add(new Seen(bio.op(), bio.flags(), bio.sector(), bio.sectors()));
            bio.remap(backing, bio.sector());
            backing.submitBio(bio);
        }
    }

    /** Does its I/O inside submit, like FileDevice, but slowly; counts how many submits overlap. */
    static final class SlowSync implements BlockDevice {
        private final BlockDevice backing;
        private final long millis;
        private final AtomicInteger running = new AtomicInteger();
        final AtomicInteger maxRunning = new AtomicInteger();

        SlowSync(BlockDevice backing, long millis) {
            this.backing = backing;
            this.millis = millis;
        }

        @Override
        public String name() {
            return "slow";
        }

        @Override
        public long sizeSectors() {
            return backing.sizeSectors();
        }

        @Override
        public void submitBio(Bio bio) {
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                running.decrementAndGet();
            }
            bio.remap(backing, bio.sector());
            backing.submitBio(bio);
        }
    }

    /** Ends every bio with one status, without touching data. */
    static final class Failing implements BlockDevice {
        volatile BlkStatus status;

        Failing(BlkStatus status) {
            this.status = status;
        }

        @Override
        public String name() {
            return "failing";
        }

        @Override
        public long sizeSectors() {
            return 2048;
        }

        @Override
        public void submitBio(Bio bio) {
            bio.endio(status);
        }
    }

    /**
     * Holds every bio until {@link #open} (or until {@code holdUntil} bios are held), then ends them on another
     * thread in reverse order of arrival: shows that requests are in flight together and that replies follow
     * completion order.
     */
    static final class Gated implements BlockDevice {
        private final BlockDevice backing;
        private final int holdUntil;
        private final List<Bio> held = new ArrayList<>();
        final CountDownLatch arrived;
        private boolean open;

        Gated(BlockDevice backing, int holdUntil) {
            this.backing = backing;
            this.holdUntil = holdUntil;
            this.arrived = new CountDownLatch(holdUntil);
        }

        @Override
        public String name() {
            return "gated";
        }

        @Override
        public long sizeSectors() {
            return backing.sizeSectors();
        }

        @Override
        public void submitBio(Bio bio) {
            List<Bio> release = null;
            synchronized (this) {
                if (open) {
                    release = List.of(bio);
                } else {
                    held.add(bio);
                    arrived.countDown();
                    if (held.size() >= holdUntil) {
                        release = takeHeld();
                    }
                }
            }
            if (release != null) {
                endAll(release);
            }
        }

        /** Waits until n bios are held. */
        void awaitHeld(int n) throws InterruptedException {
            while (true) {
                synchronized (this) {
                    if (held.size() >= n) {
                        return;
                    }
                }
                Thread.sleep(5);
            }
        }

        /** Lets held and later bios through. */
        void open() {
            List<Bio> release;
            synchronized (this) {
                open = true;
                release = takeHeld();
            }
            endAll(release);
        }

        private List<Bio> takeHeld() {
            List<Bio> out = new ArrayList<>(held);
            held.clear();
            return out.reversed();
        }

        private void endAll(List<Bio> bios) {
            Thread.ofPlatform().start(() -> {
                for (Bio b : bios) {
                    b.remap(backing, b.sector());
                    backing.submitBio(b);
                }
            });
        }
    }
}
