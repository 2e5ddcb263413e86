#!/usr/bin/env bash
# md-parity.sh - raid5 XOR and raid6 P+Q parity rates of jdm (jdm.md.raid456: Vector API, and the int64 SWAR
# fallback) next to Intel ISA-L's xor_gen/pq_gen on this CPU, in the same run (../shared/bench/raid-parity-bench.c).
# GB/s of data processed, stripe in cache; the issue's bar: jdm's P+Q >= half of ISA-L's pq_gen (8+2 x 64 KiB).
#
# Run from the repo root:  bash bench/md-parity.sh [SECONDS-PER-FIGURE]
# Needs: libisal-dev and gcc for the ISA-L half (apt-get install -y --no-install-recommends libisal-dev gcc).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-0.5}
. .ci/find-jdk.sh
./mvnw -q -B -ntp -DskipTests test-compile >&2
cp=target/classes:target/test-classes
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (the wall-clock columns suffer when it is high)"
echo
echo "## jdm ($(java -version 2>&1 | head -1))"
echo "(GB/s = wall clock, as ISA-L's figures below; per CPU-s = over the thread's CPU time, which leaves out time"
echo " the VM was not running it: shown for loaded machines, not comparable with ISA-L's columns)"
java --add-modules jdk.incubator.vector -Xlog:disable -cp "$cp" jdm.md.raid456.ParityBench "$secs" 2>/dev/null
src=../shared/bench/raid-parity-bench.c
if [ -f "$src" ] && [ -f /usr/include/isa-l/raid.h ] && command -v gcc >/dev/null; then
  bin=$(mktemp -d)/raid-parity-bench
  trap 'rm -rf "$(dirname "$bin")"' EXIT
  gcc -O3 -march=native -o "$bin" "$src" -lisal -lpthread
  echo
  echo "## ISA-L (same machine, same run)"
  "$bin" "$secs" | grep -E '^\| (function|---|pq_gen \(dispatch\)|xor_gen \(dispatch\))'
else
  echo "(ISA-L half skipped: needs $src, libisal-dev and gcc)" >&2
fi
