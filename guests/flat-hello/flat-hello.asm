; Test guest: a flat real-mode binary (no multiboot header), loaded at 0000:7C00. Prints
; CR0.PE through the debug console, then exits through 0xF4 with 0x2A (status 0x55). A boot
; sector, so QEMU runs it too: qemu-system-x86_64 -display none -debugcon stdio
;   -device isa-debug-exit,iobase=0xf4,iosize=0x04 -drive format=raw,file=flat-hello.img
bits 16
org 0x7C00
start:
    xor ax, ax
    mov ds, ax
    mov si, msg
.next:
    lodsb
    test al, al
    jz .done
    out 0xE9, al
    jmp .next
.done:
    smsw ax                     ; CR0[15:0] in real mode
    add al, '0' - 0x10          ; 0x10 (ET) -> '0'
    out 0xE9, al
    mov al, 10
    out 0xE9, al
    mov al, 0x2A
    out 0xF4, al
    hlt
msg: db "hello from real mode, CR0.PE=", 0
times 510 - ($ - $$) db 0
dw 0xAA55                       ; boot signature, so QEMU can boot it as a disk: -drive format=raw,file=...
