#!/bin/sh
# Builds the SIMD guests (../simd-guest.test.ts: a 32-bit multiboot ELF and a flat 64-bit image
# for the test harness) and records the host's output.
# Needs gcc with 32-bit support and binutils (x86-64 host).
set -e
cd "$(dirname "$0")"
CFLAGS="-O2 -msse4.2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -fcf-protection=none -fno-asynchronous-unwind-tables -fno-builtin"
gcc -m32 $CFLAGS -c simd.c -o simd32.o
as --32 start32.s -o start32.o
ld -m elf_i386 -nostdlib -N -z noexecstack -Ttext=0x100000 -e _start start32.o simd32.o -o simd32.elf
gcc -m64 $CFLAGS -mno-red-zone -c simd.c -o simd64.o
as --64 start64.s -o start64.o
ld -m elf_x86_64 -nostdlib -N -z noexecstack -Ttext=0x10000 -e _start --oformat binary start64.o simd64.o -o simd64.img
gcc -O2 -msse4.2 simd.c host.c -o host-ref
./host-ref > expected.txt
rm -f *.o host-ref
