# Flat 64-bit entry for simd.c under the test harness (64-bit mode, CR4.OSFXSR already set):
# run simd_main, then HLT. put() appends the string to the output buffer at 0x70000 (its
# length in the dword at 0x6fffc).
  .text
  .globl _start, put
_start:
  call simd_main
  hlt
put:
  mov 0x6fffc, %eax
1:
  movb (%rdi), %cl
  test %cl, %cl
  jz 2f
  movb %cl, 0x70000(%rax)
  inc %eax
  inc %rdi
  jmp 1b
2:
  mov %eax, 0x6fffc
  ret
