# Multiboot v1 entry for simd.c: enable SSE (CR4.OSFXSR | OSXMMEXCPT), run simd_main, exit
# through QEMU's debug-exit port (0xF4) with 0. put() writes to the debug console (0xE9).
  .text
  .align 4
  .long 0x1BADB002, 0, -0x1BADB002
  .globl _start, put
_start:
  mov $stack_top, %esp
  mov %cr4, %eax
  or $0x600, %eax
  mov %eax, %cr4
  call simd_main
  mov $0xf4, %dx
  xor %eax, %eax
  out %eax, %dx
  hlt
put:
  mov 4(%esp), %ecx
  mov $0xe9, %dx
1:
  movb (%ecx), %al
  test %al, %al
  jz 2f
  outb %al, %dx
  inc %ecx
  jmp 1b
2:
  ret
  .bss
  .align 16
  .space 16384
stack_top:
