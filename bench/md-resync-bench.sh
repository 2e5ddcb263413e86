#!/usr/bin/env bash
# md-resync-bench.sh - resync MiB/s of jdm's md sync thread, uncapped and held by sync_speed_max.
#
# Builds an array of MEMBERS members of MIB MiB (backing files in DIR, or "mem" for memory), runs one uncapped
# RESYNC pass, then one with sync_speed_max = CAP KiB/s (0: a quarter of the uncapped speed) for SECS seconds,
# and prints a Markdown table: the uncapped MiB/s, the cap, the measured speed and whether it is within ±10% of
# the cap. Uses the built-in personality of LEVEL when registered (else level 1 runs over the tests' TestMirror).
# Not a test: the numbers depend on the machine.
#
# Usage: bench/md-resync-bench.sh [-l LEVEL] [-n MEMBERS] [-s MIB] [-d DIR|mem] [-c CAP_KIBS] [-t SECS]
#        (defaults: 1, 2, 256, mem, 0, 30; md's throttle overshoots the cap by about 1/t, so give it 30 s)
set -euo pipefail
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
LEVEL=1 N=2 MIB=256 DIR=mem CAP=0 SECS=30
while getopts ':l:n:s:d:c:t:' o; do
  case $o in
    l) LEVEL=$OPTARG ;; n) N=$OPTARG ;; s) MIB=$OPTARG ;; d) DIR=$OPTARG ;; c) CAP=$OPTARG ;; t) SECS=$OPTARG ;;
    *) sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 2 ;;
  esac
done
cd "$top"
. .ci/find-jdk.sh
./mvnw -q -B -ntp -DskipTests test-compile >&2
exec "$JAVA_HOME/bin/java" -cp target/classes:target/test-classes jdm.md.ResyncBenchmark "$LEVEL" "$N" "$MIB" "$DIR" "$CAP" "$SECS"
