package jdm.md.raid456;

import java.nio.ByteBuffer;

/**
 * The part of an array bio that falls in one data chunk of a stripe (a bio_vec on an r5dev's towrite/toread list):
 * data chunk {@code dataIndex}, {@code sectors} from {@code chunkSector} inside the chunk, its bytes at
 * {@code data}'s positions 0 to sectors * 512.
 */
record Piece(int dataIndex, int chunkSector, int sectors, ByteBuffer data) {
}
