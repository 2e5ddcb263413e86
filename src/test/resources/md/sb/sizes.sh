# mdadm 4.2's choices on bigger members (created --readonly: only mdadm writes): data offset, sizes, bitmap
n=0
mk() {  # mk TAG LEVEL DEVS... -- options
  tag=$1 level=$2; shift 2
  devs=""; while [ "$1" != "--" ]; do devs="$devs $1"; shift; done; shift
  n=$((n + 1))
  set -- $devs
  nd=$#
  for d in $devs; do dd if=/dev/zero of=$d bs=1M count=4 conv=fsync 2>/dev/null; done
  mdadm --create /dev/md0 --run --readonly --metadata=1.2 --homehost=oracle --name=$tag \
    --uuid="$(printf '01234567:89abcdef:01234567:89ab%04x' $n)" --level=$level --raid-devices=$nd $OPTS $devs > /tmp/log 2>&1 || { echo "$tag: create failed"; cat /tmp/log; }
  mdadm --stop /dev/md0 > /dev/null 2>&1
  for d in $devs; do
    blockdev --flushbufs $d
    echo "=== $tag $d $(blockdev --getsz $d)"
    mdadm --examine $d
    mdadm --examine-bitmap $d 2>/dev/null | grep -E 'Chunksize|Sync Size|Bitmap :' || true
  done
}
for p in "vda vdb" "vdc vdd" "vde vdf" "vdg vdh" "vdi vdj"; do
  set -- $p; a=/dev/$1 b=/dev/$2
  OPTS=""; mk r1-$1 1 $a $b --
  OPTS="--assume-clean"; mk r5-$1 5 $a $b --
  OPTS="--assume-clean --bitmap=internal"; mk r10-$1 10 $a $b --
  OPTS="--chunk=64"; mk r0-$1 0 $a $b --
done
