; Test guest: prints a line, loads an empty IDT and executes UD2. #UD cannot be delivered
; (IDT limit 0) -> #GP -> #DF -> triple fault: the run ends with the triple-fault report.
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
    jz .done
    mov dx, 0x3F8
    out dx, al
    jmp .next
.done:
    lidt [empty_idt]
    ud2
empty_idt:
    dw 0
    dd 0
msg: db "about to triple fault", 10, 0
load_end:
