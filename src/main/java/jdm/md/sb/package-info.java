/**
 * md's on-disk formats, pure (byte buffers in and out, no device I/O, no threads): the version-1 superblock
 * ({@link jdm.md.sb.Superblock1}, struct mdp_superblock_1 of include/uapi/linux/raid/md_p.h with md.c's
 * calc_sb_1_csum and super_1_load checks), the write-intent bitmap superblock ({@link jdm.md.sb.BitmapSuper},
 * bitmap_super_t of md-bitmap.h), what mdadm 4.2 writes on {@code --create} ({@link jdm.md.sb.MdadmCreate}: data
 * offset, sizes, bad-block log, roles, bitmap chunk) and how {@code mdadm --examine} prints a member
 * ({@link jdm.md.sb.Examine}). Checked against superblocks the real mdadm and Linux 6.1 wrote (the kernel oracle;
 * src/test/resources/md) and against the real mdadm reading ours. Uses nothing but the JDK (a layer that may use
 * jdm.block only).
 */
package jdm.md.sb;
