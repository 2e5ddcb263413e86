#!/usr/bin/env bash
# bench.sh - jdm's data path next to its peers, on the same 1 GiB file, with the same clients.
#
# Serves a linear device over the file (jdm serve --table "0 2097152 linear FILE 0") and measures, through NBD:
# sequential write and read (nbdcopy, MiB/s) and 4 KiB random read/write at QD1 and QD32 (fio's nbd engine,
# IOPS), beside `nbdkit file` (and qemu-nbd) on the same file, using ../shared/bench/anchors.sh; then what one
# `jdm dmsetup version` call costs through bin/jdm against a running daemon (launcher + JVM start + one control
# round trip; ms). With -m, the RAM disk instead: a linear device over /dev/ram0 (jdm serve --ram-disks 1
# --ram-disk-size 1G) beside `nbdkit memory 1G`, both serving memory (no dmsetup row). Prints one Markdown table
# with each median and its ratio to the best peer, and under it the kernel and the share of CPU time the hypervisor
# stole meanwhile (a shared host moves the figures more than the servers do). Not a test: numbers depend on the
# machine.
#
# Usage: bench/bench.sh [-q] [-m] [-D] [-c CALLS] [-n RUNS] [-t SECS] [-p BLOCKS] [-d DIR] [-J 'JVM OPTS']
#   -q        quick: 1 run, 5 s fio, peers nbdkit-file only (nbdkit-memory with -m)
#   -m        the RAM disk beside nbdkit memory (peers default to nbdkit-memory)
#   -D        only the dmsetup call (no data path, no peers)
#   -c CALLS  dmsetup calls to time (default 30)
#   -n -t -d  as anchors.sh (default 3 runs, 10 s, /tmp/perf/anchors)
#   -p        peer blocks for anchors.sh (default nbdkit-file,qemu-wb)
#   -J        extra JVM options for the served jdm (bin/jdm serve), e.g. '-XX:TieredStopAtLevel=1' (C1 only: no
#             C2 warm-up, but QD1 random I/O ~18% slower)
# Needs: nbdkit, nbdcopy/nbdinfo (libnbd-bin), fio with the nbd engine, qemu-utils (.ci/install-tools.sh).
set -euo pipefail
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
RUNS=3 SECS=10 BLOCKS= DIR=/tmp/perf/anchors CALLS=30 DATA=1 RAM= QUICK= JVM_OPTS=
while getopts ':qmDc:n:t:p:d:J:' o; do
  case $o in
    q) RUNS=1 SECS=5 QUICK=1 ;; m) RAM=1 ;; n) RUNS=$OPTARG ;; t) SECS=$OPTARG ;; p) BLOCKS=$OPTARG ;;
    d) DIR=$OPTARG ;; D) DATA= ;; c) CALLS=$OPTARG ;; J) JVM_OPTS=$OPTARG ;;
    *) sed -n '2,23s/^# \{0,1\}//p' "$0"; exit 2 ;;
  esac
done
if [ -n "$RAM" ]; then BLOCKS=${BLOCKS:-nbdkit-memory}
elif [ -n "$QUICK" ]; then BLOCKS=${BLOCKS:-nbdkit-file}
else BLOCKS=${BLOCKS:-nbdkit-file,qemu-wb}; fi
anchors=$top/../shared/bench/anchors.sh
[ -z "$DATA" ] || [ -f "$anchors" ] || {
  echo "bench: $anchors not found (the shared bench scripts sit beside the repo)" >&2; exit 2; }
. "$top/.ci/find-jdk.sh"
(cd "$top" && ./mvnw -q -B -ntp -DskipTests package) >&2
mkdir -p "$DIR"

# One `jdm dmsetup version` call, as a script pays it: a daemon on private sockets, two warm-up calls (the first
# after a build also trains the launcher's AOT cache), then CALLS timed calls; prints one table row.
dmsetup_row() {
  local ctl=$DIR/bench-control.sock pid i t0 t1 ms=()
  rm -f "$ctl"
  "$top/bin/jdm" daemon --control "$ctl" --socket "$DIR/bench-nbd.sock" -p 0 >"$DIR/bench-daemon.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null' RETURN
  for i in $(seq 100); do [ -S "$ctl" ] && break; sleep 0.1; done
  [ -S "$ctl" ] || { echo "bench: the daemon did not start (see $DIR/bench-daemon.log)" >&2; return 1; }
  export JDM_CONTROL=$ctl
  "$top/bin/jdm" dmsetup version >/dev/null && "$top/bin/jdm" dmsetup version >/dev/null
  for i in $(seq "$CALLS"); do
    t0=$EPOCHREALTIME; "$top/bin/jdm" dmsetup version >/dev/null; t1=$EPOCHREALTIME
    ms+=("$(awk -v a="$t0" -v z="$t1" 'BEGIN { printf "%.0f", (z - a) * 1000 }')")
  done
  printf '%s\n' "${ms[@]}" | sort -n | awk '{ v[NR] = $1 } END {
    printf "| jdm (bin/jdm) | dmsetup call | ms | %d | **%d** | %d | - | - |\n", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

row=
[ -n "$RAM" ] && [ -n "$DATA" ] || row=$(dmsetup_row) || row="| jdm (bin/jdm) | dmsetup call | ms | - | **failed** | - | - | - |"
if [ -z "$DATA" ]; then
  echo "| server | test | unit | min | median | max | x best peer | x raw |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "$row"
  exit
fi
# The server as users start it: through bin/jdm, with its JVM options and the servers' AOT cache (recorded here,
# before anything is timed: the first server start after a build records it). -J options reach the JVM through
# JDK_JAVA_OPTIONS (the JVM ignores the cache if they make it incompatible).
"$top/bin/jdm" serve --help >/dev/null
server="${JVM_OPTS:+env JDK_JAVA_OPTIONS='$JVM_OPTS' }$top/bin/jdm serve --name vol"
if [ -n "$RAM" ]; then   # the RAM disk: 1 GiB, as nbdkit memory 1G; pages are allocated on first write in both
  label='jdm linear RAM disk'
  server+=' --ram-disks 1 --ram-disk-size 1G --table "0 2097152 linear /dev/ram0 0" --socket "$DIR/jdm.sock"'
else
  label='jdm linear'
  server+=' --table "0 2097152 linear $IMG 0" --socket "$DIR/jdm.sock"'
fi
# What the machine did besides: the share of CPU time the hypervisor took (steal) while the table was measured,
# and the kernel (its page cache and file system shape the file figures), printed under the table: runs on a
# shared host differ by this much more than by anything in the servers.
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9 }' /proc/stat; }
read -r total0 steal0 < <(cpu_ticks)
# anchors.sh prints its table; the dmsetup row joins it after the last table line.
bash "$anchors" -n "$RUNS" -t "$SECS" -d "$DIR" -p "$BLOCKS" -l "$label" -s "$server" \
  "nbd+unix:///vol?socket=$(readlink -f "$DIR")/jdm.sock" \
  | awk -v row="$row" '{ l[NR] = $0; if ($0 ~ /^[|]/) last = NR }
      END { for (i = 1; i <= NR; i++) { print l[i]; if (i == last && row != "") print row } }'
read -r total1 steal1 < <(cpu_ticks)
awk -v t="$((total1 - total0))" -v s="$((steal1 - steal0))" -v k="$(uname -r)" 'BEGIN {
  printf "Kernel %s; CPU time stolen by the hypervisor while measuring: %.1f%%.\n", k, (t > 0 ? 100 * s / t : 0) }'
