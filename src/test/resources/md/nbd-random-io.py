# nbd-random-io.py URI SEED SHADOW STOPFILE - a real NBD client (libnbd's python binding) loading an md array:
# random writes of random data (4 KiB..256 KiB, 4 KiB aligned) with a read checked against its own copy after
# every fourth write, until STOPFILE exists; then FLUSH, read the whole export back, compare it with the copy
# and write the copy to SHADOW (the test hashes it against what nbdcopy reads back).
# stdout: "started", then "writes=N" every 32 writes, then "done writes=N bytes=B" and "verify ok" (exit 0) or
# "MISMATCH ..." (exit 1).
import os
import random
import sys

import nbd

uri, seed, shadow_path, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
h = nbd.NBD()
h.connect_uri(uri)
size = h.get_size()
block = 4096
rng = random.Random(seed)

shadow = bytearray()
for off in range(0, size, 1 << 20):
    shadow += h.pread(min(1 << 20, size - off), off)

def out(line):
    print(line, flush=True)

writes = 0
written = 0
out("started")
while not os.path.exists(stop):
    n = rng.randint(1, 64) * block
    off = rng.randrange(0, (size - n) // block + 1) * block
    data = rng.randbytes(n)
    h.pwrite(data, off)
    shadow[off:off + n] = data
    writes += 1
    written += n
    if writes % 4 == 0:
        n = rng.randint(1, 64) * block
        off = rng.randrange(0, (size - n) // block + 1) * block
        got = h.pread(n, off)
        if got != shadow[off:off + n]:
            bad = next(i for i in range(n) if got[i] != shadow[off + i])
            out("MISMATCH during load: read at byte %d differs at byte %d" % (off, off + bad))
            sys.exit(1)
    if writes % 32 == 0:
        out("writes=%d" % writes)
        if writes % 256 == 0:
            h.flush()
h.flush()
out("done writes=%d bytes=%d" % (writes, written))
for off in range(0, size, 1 << 20):
    n = min(1 << 20, size - off)
    got = h.pread(n, off)
    if got != shadow[off:off + n]:
        bad = next(i for i in range(n) if got[i] != shadow[off + i])
        out("MISMATCH after load at byte %d" % (off + bad))
        sys.exit(1)
with open(shadow_path, "wb") as f:
    f.write(shadow)
h.shutdown()
out("verify ok")
