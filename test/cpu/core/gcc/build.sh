#!/bin/sh
# Builds the gcc workload images used by ../gcc-workload.test.ts and records the host's results.
# Needs gcc and binutils with 32-bit support (x86-64 host). Images: work{16,32,64}[-Os|-O0].img
set -e
cd "$(dirname "$0")"
BASE="-ffreestanding -fno-pic -fno-pie -fno-stack-protector -mgeneral-regs-only -fcf-protection=none -fno-asynchronous-unwind-tables -fno-builtin"
for OPT in O2 Os O0; do
  SUFFIX=$([ "$OPT" = O2 ] && echo "" || echo "-$OPT")
  CFLAGS="-$OPT $BASE"
  gcc -m64 $CFLAGS -mno-red-zone -c work.c -o work64.o
  as --64 start64.s -o start64.o
  ld -m elf_x86_64 -nostdlib -N -Ttext=0x10000 -e _start --oformat binary start64.o work64.o -o work64$SUFFIX.img
  gcc -m32 $CFLAGS -c work.c -o work32.o
  as --32 start32.s -o start32.o
  ld -m elf_i386 -nostdlib -N -Ttext=0x10000 -e _start --oformat binary start32.o work32.o -o work32$SUFFIX.img
  gcc -m16 $CFLAGS -c work.c -o work16.o
  as --32 start16.s -o start16.o
  ld -m elf_i386 -nostdlib -N -Ttext=0x1000 -e _start --oformat binary start16.o work16.o -o work16$SUFFIX.img
done
gcc -O2 main.c work.c -o host-ref
./host-ref > expected.txt
rm -f *.o host-ref
