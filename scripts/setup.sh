#!/usr/bin/env bash
# Set up a fresh machine for the whole test suite: the Debian packages the suite uses
# (qemu-system-x86 for the QEMU comparison, nasm to check the bundled guests against their
# sources, gdb for the gdb stub's tests) and the npm dependencies. Installs with apt-get as root (or through sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v nasm >/dev/null || need+=(nasm)
command -v gdb >/dev/null || need+=(gdb)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then apt=(apt-get); elif command -v sudo >/dev/null; then apt=(sudo apt-get); else
    echo "setup: need root (or sudo) to install: ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${apt[@]}" update -q
  "${apt[@]}" install -y -q --no-install-recommends "${need[@]}"
fi
npm ci --no-audit --no-fund
# The Linux boot tests' files: Debian's 686 and 686-pae kernels and busybox-static (i386), by
# package name through apt (cached in .cache/linux/; see docs/linux.md). A failed download is an
# error here, not a skipped test later.
for pkg in linux-image-686 linux-image-686-pae; do
  if ! npx tsx scripts/linux/linux.ts --fetch-only --kernel-package "$pkg" >/dev/null; then
    echo "setup: could not fetch $pkg and busybox-static:i386 (see the line above)" >&2
    exit 1
  fi
done
