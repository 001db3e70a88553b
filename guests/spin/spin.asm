; Test guest: prints a line and spins forever; only --max-insns (or a timeout) ends it.
bits 32
org 0x100000
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ (1 << 16)
mb_header:
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    dd mb_header, mb_header, load_end, 0, start
start:
    mov esi, msg
.next:
    lodsb
    test al, al
    jz spin
    mov dx, 0xE9
    out dx, al
    jmp .next
spin:
    inc ecx
    jmp spin
msg: db "spinning", 10, 0
load_end:
