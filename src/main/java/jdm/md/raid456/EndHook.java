package jdm.md.raid456;

import jdm.block.Bio;

/** Hooks a callback onto a bio's end (the personality's in-flight count for quiesce). */
final class EndHook {
    private EndHook() {
    }

    static void wrap(Bio bio, Runnable afterEnd) {
        var inner = bio.endIo();
        bio.setEndIo(b -> {
            try {
                if (inner != null) {
                    inner.bioEndIo(b);
                }
            } finally {
                afterEnd.run();
            }
        });
    }
}
