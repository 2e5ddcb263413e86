# A pipelined integrity workload for an NBD server, through libnbd: many reads, writes (some FUA) and flushes in
# flight at once on one connection, more than the server lets in at a time, so its in-flight gate fills and waits.
# Requests in flight never overlap a write in flight (so every result is defined); every read is checked byte for
# byte against a model of the disk, and the whole disk is read back at the end.
# Usage: python3 pipelined_workload.py URI SEED OPS MAX_IN_FLIGHT
import random
import sys

import nbd

uri, seed, ops, max_in_flight = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
h = nbd.NBD()
h.connect_uri(uri)
size = h.get_size()
GRAIN = 64 << 10
grains = size // GRAIN
readers = [0] * grains        # reads in flight per grain
writing = [False] * grains    # a write in flight on the grain
model = bytearray()
for off in range(0, size, 4 << 20):  # the model starts as what the disk holds
    model += h.pread(min(4 << 20, size - off), off)
failures = []
done = 0
peak = 0
kinds = {"read": 0, "write": 0, "flush": 0}


def pick_length():
    r = rnd.random()
    if r < 0.6:
        return 512 * rnd.randint(1, 128)          # up to 64 KiB
    if r < 0.9:
        return 4096 * rnd.randint(16, 256)        # 64 KiB .. 1 MiB
    return (1 << 20) * rnd.randint(1, 4)          # 1 .. 4 MiB


def grains_of(off, length):
    return range(off // GRAIN, (off + length - 1) // GRAIN + 1)


def finish(kind, off, length, buf, expected):
    def cb(err):
        global done
        if err.value != 0:
            failures.append("%s %d+%d: errno %d" % (kind, off, length, err.value))
        for g in grains_of(off, length):
            if kind == "read":
                readers[g] -= 1
            else:
                writing[g] = False
        if kind == "read" and err.value == 0 and buf.to_bytearray() != expected:
            got = buf.to_bytearray()
            first = next(i for i in range(length) if got[i] != expected[i])
            failures.append("read %d+%d: wrong data from byte %d" % (off, length, first))
        done += 1
        return 1
    return cb


def issue():
    r = rnd.random()
    if r < 0.03:
        h.aio_flush(completion=flushed)
        kinds["flush"] += 1
        return True
    write = r < 0.55
    for _ in range(8):  # a few tries to find a range free for this request
        length = pick_length()
        off = rnd.randrange(0, (size - length) // 512 + 1) * 512
        gs = grains_of(off, length)
        if write and all(readers[g] == 0 and not writing[g] for g in gs):
            data = rnd.randbytes(length)
            model[off:off + length] = data
            for g in gs:
                writing[g] = True
            flags = nbd.CMD_FLAG_FUA if rnd.random() < 0.05 else 0
            h.aio_pwrite(nbd.Buffer.from_bytearray(data), off, completion=finish("write", off, length, None, None),
                         flags=flags)
            kinds["write"] += 1
            return True
        if not write and all(not writing[g] for g in gs):
            for g in gs:
                readers[g] += 1
            buf = nbd.Buffer(length)
            h.aio_pread(buf, off, completion=finish("read", off, length, buf, bytes(model[off:off + length])))
            kinds["read"] += 1
            return True
    return False


def flushed(err):
    global done
    if err.value != 0:
        failures.append("flush: errno %d" % err.value)
    done += 1
    return 1


issued = 0
while issued < ops or h.aio_in_flight() > 0:
    while issued < ops and h.aio_in_flight() < max_in_flight and issue():
        issued += 1
        peak = max(peak, h.aio_in_flight())
    h.poll(-1)
if done != issued:
    failures.append("%d issued, %d completed" % (issued, done))
for off in range(0, size, 4 << 20):
    n = min(4 << 20, size - off)
    if h.pread(n, off) != model[off:off + n]:
        failures.append("final read-back differs at %d+%d" % (off, n))
h.shutdown()
if failures:
    print("FAILED", len(failures), "; ".join(failures[:5]))
    sys.exit(1)
print("ok", issued, "requests", kinds, "peak in flight", peak)
