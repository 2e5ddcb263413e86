#!/usr/bin/env bash
# Installs the Debian packages the integration tests and benchmarks drive, when missing: nbdinfo/nbdcopy
# (libnbd-bin), nbdsh (python3-libnbd), qemu-img/qemu-io (qemu-utils), nbdkit, fio.
set -euo pipefail
need=()
for pair in nbdinfo:libnbd-bin nbdcopy:libnbd-bin nbdsh:python3-libnbd qemu-img:qemu-utils qemu-io:qemu-utils \
            nbdkit:nbdkit fio:fio; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
  echo "install-tools: missing ${need[*]} and cannot apt-get here; the tests that need them will be skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
