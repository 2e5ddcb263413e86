package jdm.nbd;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import jdm.block.Bio;
import jdm.block.BlockDevice;

/**
 * A device that lets protocol tests steer completion order. Recording, slow and failing devices are
 * {@link jdm.testing.FaultyDisk}.
 */
final class TestDevices {
    private TestDevices() {
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
