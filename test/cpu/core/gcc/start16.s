# Entry for the real-mode image (gcc -m16): the seed is in eax; 32-bit cdecl call; then hlt.
  .code16gcc
  .text
  .globl _start
_start:
  push %eax
  call work
  add $4, %esp
  hlt
