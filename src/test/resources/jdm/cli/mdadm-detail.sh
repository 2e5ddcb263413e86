# run: truncate -s 16M a.img b.img c.img d.img; KERNEL_ORACLE_ACCEL=tcg ../shared/oracle/kernel-oracle.sh -k 6.1 -r 2020-01-01T00:00:00 mdadm-detail.sh a.img b.img c.img d.img > mdadm-detail.out
# mdadm --detail and /proc/mdstat in several states, for jdm mdadm's formatting tests
echo 200 > /proc/sys/dev/raid/speed_limit_min
echo 200 > /proc/sys/dev/raid/speed_limit_max
echo "=== create raid5 bitmap"
mdadm --create /dev/md0 --run --level=5 --raid-devices=3 --chunk=64 --bitmap=internal --metadata=1.2 --homehost=oracle --name=r5 --uuid=01234567:89abcdef:01234567:89abcdef /dev/vda /dev/vdb /dev/vdc
echo "rc=$?"
sleep 2
echo "=== mdstat resync"
cat /proc/mdstat
echo "=== detail resync"
mdadm --detail /dev/md0
echo "=== detail brief"
mdadm --detail --brief /dev/md0
echo 200000 > /proc/sys/dev/raid/speed_limit_max
mdadm --wait /dev/md0
echo 200 > /proc/sys/dev/raid/speed_limit_max
echo "=== fail"
mdadm /dev/md0 --fail /dev/vdb
echo "rc=$?"
echo "=== detail failed"
mdadm --detail /dev/md0
echo "=== mdstat failed"
cat /proc/mdstat
echo "=== remove"
mdadm --manage /dev/md0 --remove /dev/vdb
echo "rc=$?"
echo "=== detail removed"
mdadm --detail /dev/md0
echo "=== add"
mdadm --manage /dev/md0 --add /dev/vdd
echo "rc=$?"
sleep 2
echo "=== mdstat recovery"
cat /proc/mdstat
echo "=== detail recovery"
mdadm --detail /dev/md0
echo 200000 > /proc/sys/dev/raid/speed_limit_max
mdadm --wait /dev/md0
echo "=== stop"
mdadm --stop /dev/md0
echo "rc=$?"
echo "=== assemble one"
mdadm --assemble /dev/md0
echo "rc=$?"
echo "=== assemble"
mdadm --assemble /dev/md0 /dev/vda /dev/vdc /dev/vdd
echo "rc=$?"
mdadm --stop /dev/md0 >/dev/null 2>&1
echo "=== create raid10"
mdadm --create /dev/md1 --run --assume-clean --level=10 --raid-devices=4 --layout=n2 --bitmap=none --metadata=1.2 --homehost=oracle --name=r10 --uuid=11111111:22222222:33333333:44444444 /dev/vda /dev/vdb /dev/vdc /dev/vdd
echo "rc=$?"
echo "=== detail raid10"
mdadm --detail /dev/md1
echo "=== mdstat raid10"
cat /proc/mdstat
mdadm --stop /dev/md1
echo "=== create raid0"
mdadm --create /dev/md2 --run --level=0 --raid-devices=2 --metadata=1.2 --homehost=oracle --name=r0 --uuid=55555555:66666666:77777777:88888888 /dev/vda /dev/vdb
echo "rc=$?"
echo "=== detail raid0"
mdadm --detail /dev/md2
echo "=== mdstat raid0"
cat /proc/mdstat
mdadm --stop /dev/md2
echo "=== create raid1 missing"
mdadm --create /dev/md3 --run --level=1 --raid-devices=2 --bitmap=none --metadata=1.2 --homehost=oracle --name=r1 --uuid=99999999:aaaaaaaa:bbbbbbbb:cccccccc /dev/vda missing
echo "rc=$?"
echo "=== detail raid1"
mdadm --detail /dev/md3
echo "=== mdstat raid1"
cat /proc/mdstat
echo "=== stop"
mdadm --stop /dev/md3
echo "=== detail gone"
mdadm --detail /dev/md3
echo "rc=$?"
echo "=== stop gone"
mdadm --stop /dev/md3
echo "rc=$?"
