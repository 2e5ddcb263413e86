#!/usr/bin/env bash
# Installs the Debian packages the integration tests and benchmarks drive, when missing: nbdinfo/nbdcopy
# (libnbd-bin), nbdsh (python3-libnbd), qemu-img/qemu-io (qemu-utils), nbdkit, fio; and for the crash harness's
# ext4 workload nbdfuse, mkfs.ext4/e2fsck/debugfs (e2fsprogs) and losetup (mount); mdadm, which reads the
# superblocks of jdm's md members (--examine).
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin   # losetup, mkfs.ext4, e2fsck live there
need=()
for pair in nbdinfo:libnbd-bin nbdcopy:libnbd-bin nbdsh:python3-libnbd qemu-img:qemu-utils qemu-io:qemu-utils \
            nbdkit:nbdkit fio:fio nbdfuse:nbdfuse mkfs.ext4:e2fsprogs e2fsck:e2fsprogs debugfs:e2fsprogs losetup:mount mdadm:mdadm; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
export DEBIAN_FRONTEND=noninteractive
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
    echo "install-tools: missing ${need[*]} and cannot apt-get here; the tests that need them will be skipped" >&2
  else
    apt-get update -qq
    apt-get install -y -qq $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
  fi
fi

# The kernel oracle (real Linux dm/md under qemu) for the live differential tests: ~2.5 min on a fresh machine.
oracle=../shared/oracle/kernel-oracle.sh
if [ -f "$oracle" ] && ! command -v qemu-system-x86_64 >/dev/null && [ "$(id -u)" = 0 ]; then
  bash "$oracle" --install --build-only -k 6.1 >/dev/null
fi
