#!/usr/bin/env bash
# md-bench.sh - jdm's md arrays through NBD, one Markdown table: raid0/1/5/6 over 4 member files, sequential
# write and read MiB/s (nbdcopy, as ../shared/bench/anchors.sh measures them: `nbdcopy --flush SRC URI` and
# `nbdcopy --no-extents URI null:`, export size / wall time) next to a jdm linear device over a single file; the
# parity generation rate (bench/md-parity.sh: jdm's P+Q beside ISA-L's pq_gen, same run); the resync speed
# unthrottled (raid1 and raid6, whole pass from create to idle) and held by sync_speed_max (raid1, CAP KiB/s:
# measured over the pass, and whether it is within +-10%).
# Not a test: the numbers depend on the machine and on what else runs on it (the load average is printed).
#
# Usage: bench/md-bench.sh [-d DIR] [-s MIB] [-n RUNS] [-c CAP_KIBS] [-P]
#   -d DIR   member files, sources and sockets (default /tmp/md-bench; removed at the end)
#   -s MIB   size of each member file (default 256)
#   -n RUNS  repeats of every copy, the median is shown (default 3)
#   -c CAP   sync_speed_max for the held resync, KiB/s (default 20000)
#   -P       skip the parity rows
# Needs: nbdcopy, nbdinfo (libnbd-bin); for the ISA-L figure libisal-dev and gcc (see bench/md-parity.sh).
set -euo pipefail
export LC_ALL=C
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
DIR=/tmp/md-bench MIB=256 RUNS=3 CAP=20000 PARITY=1
while getopts ':d:s:n:c:P' o; do
  case $o in
    d) DIR=$OPTARG ;; s) MIB=$OPTARG ;; n) RUNS=$OPTARG ;; c) CAP=$OPTARG ;; P) PARITY= ;;
    *) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 2 ;;
  esac
done
for t in nbdcopy nbdinfo; do command -v $t >/dev/null || { echo "md-bench: $t not installed" >&2; exit 2; }; done
. "$top/.ci/find-jdk.sh"
(cd "$top" && ./mvnw -q -B -ntp -DskipTests package) >&2
jdm=$top/bin/jdm
mkdir -p "$DIR"; DIR=$(readlink -f "$DIR")
ctl=$DIR/ctl.sock nbd=$DIR/nbd.sock
export JDM_CONTROL=$ctl
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rm -f "$ctl" "$nbd"
"$jdm" daemon --socket "$nbd" --control "$ctl" >"$DIR/daemon.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 200); do [ -S "$ctl" ] && [ -S "$nbd" ] && break; sleep 0.1; done
[ -S "$ctl" ] || { echo "md-bench: the daemon did not start: $(cat "$DIR/daemon.log")" >&2; exit 1; }

members() { # prefix n: fresh sparse member files
  local i; for i in $(seq 0 $(($2 - 1))); do rm -f "$DIR/$1$i"; truncate -s "${MIB}M" "$DIR/$1$i"; done
}
files() { local i; for i in $(seq 0 $(($2 - 1))); do printf '%s ' "$DIR/$1$i"; done; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
secs() { # cmd...: wall seconds of the command
  local t0=$EPOCHREALTIME; "$@" >/dev/null 2>&1; awk -v a="$t0" -v z="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", z - a }'
}
source_of() { # bytes: a random file of that size (kept per size, page-cache warm)
  local f=$DIR/src-$1
  [ -f "$f" ] || head -c "$1" /dev/urandom >"$f"
  cat "$f" >/dev/null; echo "$f"
}
seq_row() { # label export
  local uri="nbd+unix:///$2?socket=$nbd" size src w=() r=() i
  size=$(nbdinfo --size "$uri"); src=$(source_of "$size")
  for i in $(seq "$RUNS"); do
    w+=("$(secs nbdcopy --flush "$src" "$uri")")
    r+=("$(secs nbdcopy --no-extents "$uri" null:)")
  done
  printf '| %s | sequential write / read (nbdcopy) | %d MiB | %.0f / %.0f MiB/s |\n' "$1" $((size >> 20)) \
    "$(printf '%s\n' "${w[@]}" | median | awk -v s="$size" '{ print s / 1048576 / $1 }')" \
    "$(printf '%s\n' "${r[@]}" | median | awk -v s="$size" '{ print s / 1048576 / $1 }')"
}
attr() { "$jdm" md attr md0 "$@"; }
await_idle() { # seconds to wait
  local i; for i in $(seq $(($1 * 10))); do [ "$(attr sync_action)" = idle ] && return; sleep 0.1; done
  echo "md-bench: md0 still syncing after $1 s" >&2; return 1
}
resync_row() { # level n cap(0 = none)
  local t0 t1 total
  members r "$2"
  if [ "$3" -gt 0 ]; then "$jdm" md attr speed_limit_max "$3" >/dev/null; fi
  t0=$EPOCHREALTIME
  # shellcheck disable=SC2046
  "$jdm" mdadm --create /dev/md0 --run --level="$1" --raid-devices="$2" --bitmap=none $(files r "$2") 2>/dev/null
  total=$(( $(attr component_size) * 2 ))   # sectors per member: the resync's range
  await_idle 3600
  t1=$EPOCHREALTIME
  "$jdm" md attr speed_limit_max 200000 >/dev/null
  "$jdm" mdadm --stop /dev/md0 2>/dev/null
  awk -v a="$t0" -v z="$t1" -v s="$total" -v lvl="$1" -v n="$2" -v cap="$3" 'BEGIN {
    kibs = s / 2 / (z - a)
    if (cap == 0) printf "| raid%s, %d members | resync, unthrottled | %d MiB per member | %.0f MiB/s |\n", lvl, n, s / 2048, kibs / 1024
    else printf "| raid%s, %d members | resync, sync_speed_max %d KiB/s | %d MiB per member | %.0f KiB/s (%+.1f%%: %s) |\n", lvl, n, cap, s / 2048, kibs, (kibs - cap) * 100 / cap, (kibs >= cap * 0.9 && kibs <= cap * 1.1) ? "within +-10%" : "outside +-10%" }'
}

echo "# jdm md benchmark ($(date -u +%FT%TZ), $(nproc) CPUs, load average before: $load_before; the machine is shared:"
echo "# figures are what this run saw, not the code's ceiling)"
echo
echo "| array | test | size | result |"
echo "|---|---|---|---|"
members single 1; truncate -s $((MIB * 4))M "$DIR/single0"
"$jdm" dmsetup create lin --table "0 $((MIB * 4 * 2048)) linear $DIR/single0 0" >/dev/null
seq_row "jdm linear, 1 file" lin
"$jdm" dmsetup remove lin
for level in 0 1 5 6; do
  members m 4
  # shellcheck disable=SC2046
  "$jdm" mdadm --create /dev/md0 --run --assume-clean --level=$level --raid-devices=4 \
    $([ $level = 0 ] || echo --bitmap=none) $(files m 4) 2>/dev/null
  seq_row "raid$level, 4 files" md0
  "$jdm" mdadm --stop /dev/md0 2>/dev/null
done
rm -f "$DIR"/m? "$DIR"/src-* "$DIR/single0"
resync_row 1 2 0
resync_row 6 4 0
resync_row 1 2 "$CAP"
rm -f "$DIR"/r?
if [ -n "$PARITY" ] && [ -f "$top/bench/md-parity.sh" ]; then
  par=$(bash "$top/bench/md-parity.sh" 2>/dev/null || true)
  echo "$par" | awk -F'|' 'function t(x) { gsub(/^ +| +$/, "", x); return x }
      /^\| jdm parity/ { tab = 1; next } /^$/ { tab = 0 }
      tab && t($3) == "8" && t($4) == "64 KiB" {
        printf "| jdm parity (%s) | P+Q generation, 8 data + P + Q, in cache | 8 x 64 KiB | %s GB/s (XOR %s GB/s) |\n", t($2), t($6), t($5) }
      /^\| pq_gen \(dispatch\)/ && t($3) == "8" && t($4) == "64 KiB" {
        printf "| ISA-L pq_gen (same run) | P+Q generation, 8 data + P + Q, in cache | %s x 64 KiB | %s GB/s |\n", t($3), t($5) }'
  echo
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "bench/md-parity.sh said:"
  echo
  echo "$par"
else
  echo
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
