/**
 * The raid4/5/6 personality (Linux 6.1 drivers/md/raid5.c with lib/raid6): {@link jdm.md.raid456.Raid456} is the
 * personality (make_request, error, status, sync_request, hot add/remove), {@link jdm.md.raid456.StripeHead} the
 * work on one stripe (handle_stripe: rmw/rcw, degraded reads and writes, raid6 recovery, read-error correction),
 * {@link jdm.md.raid456.StripeQueue} orders work per stripe (chunk row) on virtual threads, and the parity loops
 * are the Vector API ({@code VectorParity}) or int64 SWAR ({@code SwarParity}) code picked by {@code Parities}.
 * Placement comes from {@link jdm.md.layout.StripedParityLayout}. Benchmarks: bench/md-parity.sh.
 */
package jdm.md.raid456;
