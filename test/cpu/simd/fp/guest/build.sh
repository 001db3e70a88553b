#!/bin/sh
# Builds the SSE floating-point guest (../fp-guest.test.ts) and records the host's output.
# Needs gcc with 32-bit support and binutils (x86-64 host). Uses simd's multiboot entry
# (../../guest/start32.s) with its call renamed.
set -e
cd "$(dirname "$0")"
CFLAGS="-O2 -msse4.1 -mfpmath=sse -frounding-math -ffreestanding -fno-pic -fno-pie -fno-stack-protector -fcf-protection=none -fno-asynchronous-unwind-tables -fno-builtin"
gcc -m32 $CFLAGS -c fp.c -o fp32.o
sed 's/simd_main/fp_main/' ../../guest/start32.s > start32.s
as --32 start32.s -o start32.o
ld -m elf_i386 -nostdlib -N -z noexecstack -Ttext=0x100000 -e _start start32.o fp32.o -o fp32.elf
if objdump -d --no-show-raw-insn fp32.elf | awk -F'\t' '{print $2}' | grep -E '^(f[a-z0-9]+|emms)( |$)'; then
  echo "fp32.elf uses x87 instructions" >&2
  exit 1
fi
# The host reference is 64-bit (no 32-bit libc needed): the same IEEE operations under SSE.
gcc -O2 -msse4.1 -frounding-math fp.c host.c -o host-ref
./host-ref > expected.txt
rm -f *.o host-ref start32.s
