# a raid5 grown from 3 to 4 members, stopped in the middle of the reshape (checkpointed in the superblocks)
D="/dev/vda /dev/vdb /dev/vdc"
mdadm --create /dev/md0 --run --assume-clean --metadata=1.2 --homehost=oracle --name=grow \
  --uuid=01234567:89abcdef:01234567:89ab0201 --level=5 --raid-devices=3 --chunk=64 --bitmap=none $D > /tmp/log 2>&1 || { cat /tmp/log; exit 1; }
dd if=/dev/urandom of=/dev/md0 bs=1M count=8 conv=fsync 2>/dev/null
mdadm /dev/md0 --add /dev/vdd > /dev/null 2>&1
echo 100 > /proc/sys/dev/raid/speed_limit_min
echo 100 > /proc/sys/dev/raid/speed_limit_max
mdadm --grow /dev/md0 --raid-devices=4 2>&1
sleep 4
cat /proc/mdstat
cat /sys/block/md0/md/reshape_position
mdadm --stop /dev/md0 2>&1
for d in vda vdb vdc vdd; do
  blockdev --flushbufs /dev/$d
  dd if=/dev/$d of=/out/grow-$d.bin bs=1024 count=8 2>/dev/null
  mdadm --examine /dev/$d > /out/grow-$d.examine 2>&1
done
cat /out/grow-vda.examine
