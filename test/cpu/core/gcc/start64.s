# Entry for the 64-bit image: edi = seed; returns eax; then hlt.
  .text
  .globl _start
_start:
  call work
  hlt
