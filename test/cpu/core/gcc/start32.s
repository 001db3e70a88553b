# Entry for the 32-bit image: the seed is in eax; cdecl call; result in eax; then hlt.
  .text
  .globl _start
_start:
  push %eax
  call work
  add $4, %esp
  hlt
