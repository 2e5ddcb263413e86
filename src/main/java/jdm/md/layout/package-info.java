/**
 * md's data layouts, as pure arithmetic: where an array sector lives on which member (raid0, raid1, raid4/5/6 with
 * the kernel's ALGORITHM_* layouts, raid10 near/far/offset), and the parity (XOR P, GF(2^8) Q syndrome of lib/raid6).
 * Written from the formulas of Linux 6.1 drivers/md/raid0.c (map_sector), raid5.c (raid5_compute_sector,
 * raid6_d0/raid6_idx_to_slot), raid10.c (__raid10_find_phys, calc_sectors) and lib/raid6/int.uc. Sectors are
 * 512 bytes and count from the start of a member's data area (data_offset is the caller's business). Uses
 * nothing but the JDK (a layer that may use jdm.block only).
 */
package jdm.md.layout;
