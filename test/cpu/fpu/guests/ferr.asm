; Test guest: x87 error reporting with CR0.NE = 0 (the PC/AT way, SDM Vol. 1 §D.1): an unmasked
; exception drives FERR#, which the platform latches onto IRQ13 (slave 8259 input 5). The IRQ13
; handler writes port 0xF0 (clear the latch), FNCLEXes, sends EOIs and returns. No #MF may occur.
; Output "FD\n" (F from the IRQ13 handler, D when the main line goes on), exit status 0x55.
; A flat binary at 0000:7C00 (real mode), run by test/cpu/fpu/lazy-fpu.test.ts.
bits 16
org 0x7C00
start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    mov word [0x75*4], irq13
    mov word [0x75*4+2], 0
    mov word [16*4], mf
    mov word [16*4+2], 0
    ; 8259 pair: vectors 08h (master) and 70h (slave), cascade on IRQ2
    mov al, 0x11
    out 0x20, al
    out 0xA0, al
    mov al, 0x08
    out 0x21, al
    mov al, 0x70
    out 0xA1, al
    mov al, 4
    out 0x21, al
    mov al, 2
    out 0xA1, al
    mov al, 1
    out 0x21, al
    out 0xA1, al
    mov al, 0xFB                ; master: only IRQ2 (cascade)
    out 0x21, al
    mov al, 0xDF                ; slave: only IRQ13
    out 0xA1, al
    fninit
    fldcw [cw]                  ; ZE unmasked
    sti
    fldz
    fld1
    fdivrp st1, st0             ; 1/0: FERR# -> IRQ13
    nop
    fwait                       ; NE = 0: no #MF
    mov al, 'D'
    out 0xE9, al
    mov al, 10
    out 0xE9, al
    mov al, 0x2A
    out 0xF4, al
    hlt

irq13:
    push ax
    out 0xF0, al                ; clear the FERR# latch
    mov al, 'F'
    out 0xE9, al
    fnclex
    mov al, 0x20
    out 0xA0, al
    out 0x20, al
    pop ax
    iret

mf:
    mov al, 'M'
    out 0xE9, al
    fnclex
    iret

cw: dw 0x037B
times 510 - ($ - $$) db 0
dw 0xAA55
