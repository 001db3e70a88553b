#!/bin/sh
# Builds the SIMD guest (../simd-guest.test.ts) and records the host's output.
# Needs gcc with 32-bit support and binutils (x86-64 host).
set -e
cd "$(dirname "$0")"
CFLAGS="-O2 -msse4.2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -fcf-protection=none -fno-asynchronous-unwind-tables -fno-builtin"
gcc -m32 $CFLAGS -c simd.c -o simd32.o
as --32 start32.s -o start32.o
ld -m elf_i386 -nostdlib -N -z noexecstack -Ttext=0x100000 -e _start start32.o simd32.o -o simd32.elf
gcc -O2 -msse4.2 simd.c host.c -o host-ref
./host-ref > expected.txt
rm -f *.o host-ref
