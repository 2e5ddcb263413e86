#!/usr/bin/env bash
# delay-bench.sh - a delay device's latency next to a plain device on the same daemon (docs/targets/delay.md).
#
# One jdm daemon on private Unix sockets with two 64 MiB file-backed devices: "slow" = delay (reads and writes
# delayed by DELAY ms) and "fast" = linear. fio's nbd engine runs 4 KiB random reads and writes at queue depth 1
# on both at the same time for SECS seconds; prints a Markdown table of completion latencies (mean, p50, p99, in
# ms). The slow device's latency should be at least DELAY ms, the fast one's unchanged by it. Not a test: the
# numbers depend on the machine.
#
# Usage: bench/delay-bench.sh [-m DELAY_MS] [-t SECS] [-d DIR]     (defaults: 20 ms, 5 s, a mktemp dir)
# Needs: fio with the nbd engine (.ci/install-tools.sh), python3.
set -euo pipefail
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
DELAY=20 SECS=5 DIR=
while getopts ':m:t:d:' o; do
  case $o in
    m) DELAY=$OPTARG ;; t) SECS=$OPTARG ;; d) DIR=$OPTARG ;; *) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 2 ;;
  esac
done
command -v fio >/dev/null || { echo "delay-bench: fio not installed" >&2; exit 2; }
DIR=${DIR:-$(mktemp -d /tmp/jdm-delay-bench.XXXXXX)}
mkdir -p "$DIR"
ctl=$DIR/control.sock nbd=$DIR/nbd.sock
truncate -s 64M "$DIR/slow.img" "$DIR/fast.img"
rm -f "$ctl" "$nbd"
"$top/bin/jdm" daemon --control "$ctl" --socket "$nbd" -p 0 >"$DIR/daemon.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do [ -S "$ctl" ] && [ -S "$nbd" ] && break; sleep 0.1; done
[ -S "$ctl" ] || { echo "delay-bench: the daemon did not start (see $DIR/daemon.log)" >&2; exit 1; }
export JDM_CONTROL=$ctl
"$top/bin/jdm" dmsetup create slow --table "0 131072 delay $DIR/slow.img 0 $DELAY"
"$top/bin/jdm" dmsetup create fast --table "0 131072 linear $DIR/fast.img 0"
job() { echo "--name=$1 --uri=nbd+unix:///$1?socket=$nbd"; }
fio --output-format=json --ioengine=nbd --rw=randrw --bs=4k --iodepth=1 --time_based --runtime="$SECS" \
    --size=64M $(job slow) $(job fast) >"$DIR/fio.json"
python3 - "$DIR/fio.json" "$DELAY" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
jobs = json.loads(text[text.index("{"):])["jobs"]  # fio's nbd engine prints "connected" lines first
print(f"| device (delay {sys.argv[2]} ms) | op | IOPS | mean ms | p50 ms | p99 ms |")
print("|---|---|---|---|---|---|")
for j in jobs:
    for op in ("read", "write"):
        s = j[op]
        pct = s["clat_ns"].get("percentile", {})
        print(f"| {j['jobname']} | {op} | {s['iops']:.0f} | {s['clat_ns']['mean'] / 1e6:.2f} "
              f"| {pct.get('50.000000', 0) / 1e6:.2f} | {pct.get('99.000000', 0) / 1e6:.2f} |")
PY
"$top/bin/jdm" dmsetup remove slow
"$top/bin/jdm" dmsetup remove fast
