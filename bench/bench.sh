#!/usr/bin/env bash
# bench.sh - jdm's data path next to its peers, on the same 1 GiB file, with the same clients.
#
# Serves a linear device over the file (jdm serve --table "0 2097152 linear FILE 0") and measures, through NBD:
# sequential write and read (nbdcopy, MiB/s) and 4 KiB random read/write at QD1 and QD32 (fio's nbd engine,
# IOPS), beside `nbdkit file` (and qemu-nbd) on the same file, using ../shared/bench/anchors.sh. Prints one
# Markdown table with each median and its ratio to the best peer. Not a test: numbers depend on the machine.
#
# Usage: bench/bench.sh [-q] [-n RUNS] [-t SECS] [-p BLOCKS] [-d DIR]
#   -q        quick: 1 run, 5 s fio, peers nbdkit-file only
#   -n -t -d  as anchors.sh (default 3 runs, 10 s, /tmp/perf/anchors)
#   -p        peer blocks for anchors.sh (default nbdkit-file,qemu-wb)
# Needs: nbdkit, nbdcopy/nbdinfo (libnbd-bin), fio with the nbd engine, qemu-utils (.ci/install-tools.sh).
set -euo pipefail
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
RUNS=3 SECS=10 BLOCKS=nbdkit-file,qemu-wb DIR=/tmp/perf/anchors
while getopts ':qn:t:p:d:' o; do
  case $o in
    q) RUNS=1 SECS=5 BLOCKS=nbdkit-file ;; n) RUNS=$OPTARG ;; t) SECS=$OPTARG ;; p) BLOCKS=$OPTARG ;;
    d) DIR=$OPTARG ;; *) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 2 ;;
  esac
done
anchors=$top/../shared/bench/anchors.sh
[ -f "$anchors" ] || { echo "bench: $anchors not found (the shared bench scripts sit beside the repo)" >&2; exit 2; }
. "$top/.ci/find-jdk.sh"
(cd "$top" && ./mvnw -q -B -ntp -DskipTests package) >&2
jar=$top/target/jdm.jar
server="$JAVA_HOME/bin/java --enable-native-access=ALL-UNNAMED -jar $jar serve --name vol"
server+=' --table "0 2097152 linear $IMG 0" --socket "$DIR/jdm.sock"'
mkdir -p "$DIR"
exec bash "$anchors" -n "$RUNS" -t "$SECS" -d "$DIR" -p "$BLOCKS" -l 'jdm linear' -s "$server" \
  "nbd+unix:///vol?socket=$(readlink -f "$DIR")/jdm.sock"
