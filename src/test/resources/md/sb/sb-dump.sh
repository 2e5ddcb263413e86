# dumps md v1.2 superblocks as mdadm 4.2 writes them (--readonly create: the kernel writes no superblock)
# and as Linux leaves them after running and stopping the array
D="/dev/vda /dev/vdb /dev/vdc /dev/vdd"
zero() { for d in $D; do dd if=/dev/zero of=$d bs=1M count=16 conv=fsync 2>/dev/null; done; }
dump() {  # dump CASE KBYTES DEVS...
  c=$1 k=$2; shift 2
  for d in "$@"; do
    blockdev --flushbufs $d
    dd if=$d of=/out/$c-${d#/dev/}.bin bs=1024 count=$k 2>/dev/null
    mdadm --examine $d > /out/$c-${d#/dev/}.examine 2>&1
  done
}
n=0
mk() {  # mk CASE RO LEVEL opts... : create on $D with the md-layouts options
  c=$1 ro=$2 level=$3; shift 3; n=$((n + 1))
  zero
  [ "$level" = 0 ] || set -- --bitmap=none "$@"
  [ "$ro" = ro ] && set -- --readonly "$@"
  mdadm --create /dev/md0 --run --assume-clean --metadata=1.2 --homehost=oracle --name="$c" \
    --uuid="$(printf '01234567:89abcdef:01234567:89ab%04x' $n)" --level=$level --raid-devices=4 "$@" $D > /tmp/log 2>&1 || { echo "$c: create failed"; cat /tmp/log; }
  if [ "$ro" != ro ]; then
    dd if=/dev/urandom of=/dev/md0 bs=64k count=20 seek=3 conv=fsync 2>/dev/null
  fi
  cat /proc/mdstat > /out/$c.mdstat
  mdadm --detail /dev/md0 > /out/$c.detail 2>&1
  mdadm --stop /dev/md0 >/dev/null 2>&1 || echo "$c: stop failed"
  dump $c 8 $D
  echo "$c: $(grep -E 'Events|State :' /out/$c-vda.examine | tr -s ' ' | tr '\n' ' ')"
}
for ro in ro rw; do
  mk raid0-$ro $ro 0 --chunk=64
  mk raid1-$ro $ro 1
  mk raid5-$ro $ro 5 --chunk=64
  mk raid6-$ro $ro 6 --chunk=64
  mk raid10-$ro $ro 10 --chunk=64 --layout=f2
done

# raid1 with an internal bitmap, resynced, written, one member failed
zero
mdadm --create /dev/md0 --run --readonly --metadata=1.2 --homehost=oracle --name=r1bm --uuid=01234567:89abcdef:01234567:89ab0101 \
  --level=1 --raid-devices=2 --bitmap=internal /dev/vda /dev/vdb > /tmp/log 2>&1 || { echo r1bm-ro failed; cat /tmp/log; }
mdadm --stop /dev/md0 >/dev/null 2>&1
dump r1bm-ro 12 /dev/vda /dev/vdb
mdadm --examine-bitmap /dev/vda > /out/r1bm-ro-vda.xbitmap 2>&1
zero
mdadm --create /dev/md0 --run --metadata=1.2 --homehost=oracle --name=r1bm --uuid=01234567:89abcdef:01234567:89ab0101 \
  --level=1 --raid-devices=2 --bitmap=internal --bitmap-chunk=1M /dev/vda /dev/vdb > /tmp/log 2>&1 || { echo r1bm failed; cat /tmp/log; }
mdadm --wait /dev/md0
dd if=/dev/urandom of=/dev/md0 bs=64k count=20 seek=3 conv=fsync 2>/dev/null
mdadm /dev/md0 --fail /dev/vdb > /dev/null 2>&1
dd if=/dev/urandom of=/dev/md0 bs=64k count=20 seek=100 conv=fsync 2>/dev/null
cat /proc/mdstat > /out/r1bm.mdstat
mdadm --stop /dev/md0 >/dev/null 2>&1
dump r1bm 12 /dev/vda /dev/vdb
mdadm --examine-bitmap /dev/vda > /out/r1bm-vda.xbitmap 2>&1
mdadm --examine-bitmap /dev/vdb > /out/r1bm-vdb.xbitmap 2>&1
echo "r1bm: $(grep -E 'Events|State :' /out/r1bm-vda.examine | tr -s ' ' | tr '\n' ' ')"

# raid5 3 + 1 spare, created with a resync (no --assume-clean: mdadm makes the last slot a recovering spare)
zero
mdadm --create /dev/md0 --run --readonly --metadata=1.2 --homehost=oracle --name=r5sp --uuid=01234567:89abcdef:01234567:89ab0102 \
  --level=5 --raid-devices=3 --spare-devices=1 $D > /tmp/log 2>&1 || { echo r5sp-ro failed; cat /tmp/log; }
mdadm --stop /dev/md0 >/dev/null 2>&1
dump r5sp-ro 8 $D
zero
mdadm --create /dev/md0 --run --metadata=1.2 --homehost=oracle --name=r5sp --uuid=01234567:89abcdef:01234567:89ab0102 \
  --level=5 --raid-devices=3 --spare-devices=1 $D > /tmp/log 2>&1 || { echo r5sp failed; cat /tmp/log; }
mdadm --wait /dev/md0
dd if=/dev/urandom of=/dev/md0 bs=64k count=20 seek=3 conv=fsync 2>/dev/null
mdadm /dev/md0 --fail /dev/vdb > /dev/null 2>&1
sleep 1
mdadm --wait /dev/md0
cat /proc/mdstat > /out/r5sp.mdstat
mdadm --detail /dev/md0 > /out/r5sp.detail 2>&1
mdadm --stop /dev/md0 >/dev/null 2>&1
dump r5sp 8 $D
echo "r5sp: $(grep -E 'Events|State :' /out/r5sp-vda.examine | tr -s ' ' | tr '\n' ' ')"

# raid6 with a bitmap, a member failed and removed, stopped degraded
zero
mdadm --create /dev/md0 --run --assume-clean --metadata=1.2 --homehost=oracle --name=r6bm --uuid=01234567:89abcdef:01234567:89ab0103 \
  --level=6 --raid-devices=4 --chunk=64 --bitmap=internal --bitmap-chunk=256K $D > /tmp/log 2>&1 || { echo r6bm failed; cat /tmp/log; }
dd if=/dev/urandom of=/dev/md0 bs=64k count=20 seek=3 conv=fsync 2>/dev/null
mdadm /dev/md0 --fail /dev/vdd > /dev/null 2>&1
mdadm /dev/md0 --remove /dev/vdd > /dev/null 2>&1
dd if=/dev/urandom of=/dev/md0 bs=64k count=20 seek=50 conv=fsync 2>/dev/null
cat /proc/mdstat > /out/r6bm.mdstat
mdadm --stop /dev/md0 >/dev/null 2>&1
dump r6bm 12 $D
for d in vda vdd; do mdadm --examine-bitmap /dev/$d > /out/r6bm-$d.xbitmap 2>&1; done
echo "r6bm: $(grep -E 'Events|State :' /out/r6bm-vda.examine | tr -s ' ' | tr '\n' ' ')"
uname -r
