; Platform device test guest: legacy interrupts through the 8259 pair (APIC in virtual-wire mode,
; LINT0 = ExtINT as firmware leaves it), printed on the debug console, exit through 0xF4.
;   pit   PIT counter 0 in mode 2 at 1 kHz (count 1193) wakes HLT on IRQ 0; 10 ticks
;   rtc   RTC periodic interrupt at 1024 Hz (register A rate 6, B.PIE) on IRQ 8 via the slave;
;         8 interrupts, register C read in the handler (read-to-clear)
;   uart  COM1 with FIFOs (trigger 1), IER RX data, MCR OUT2: every byte received on IRQ 4 is
;         echoed until a '.'; then the count of bytes received
;   mask  all lines masked again; the count of spurious IRQ 7 vectors taken (none) is printed
; A multiboot v1 kernel (a.out kludge), 32-bit protected mode, paging off.
; Build (repository root): nasm -f bin -o test/machine/guests/platform.img test/machine/guests/platform.asm

bits 32
org 0x100000

MB_MAGIC   equ 0x1BADB002
MB_FLAGS   equ (1 << 16)
DEBUGCON   equ 0xE9
DEBUG_EXIT equ 0xF4
COM1       equ 0x3F8

mb_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd mb_header
    dd mb_header
    dd load_end
    dd bss_end
    dd start

%macro PRINT 1
    mov esi, %1
    call puts
%endmacro

; edi = vector, eax = handler (32-bit interrupt gate, DPL 0)
set_gate:
    lea edi, [idt + edi * 8]
    mov [edi], ax
    mov word [edi + 2], 0x08
    mov word [edi + 4], 0x8E00
    shr eax, 16
    mov [edi + 6], ax
    ret

start:
    cli
    lgdt [gdtr]
    jmp 0x08:.reload
.reload:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, stack_top
    mov edi, 0x20
    mov eax, pit_isr
    call set_gate
    mov edi, 0x24
    mov eax, com1_isr
    call set_gate
    mov edi, 0x27
    mov eax, spurious_isr
    call set_gate
    mov edi, 0x28
    mov eax, rtc_isr
    call set_gate
    lidt [idtr]

; ---- 8259 pair: vectors 0x20 / 0x28, cascade on IR2, 8086 mode --------------------------------
    mov al, 0x11
    out 0x20, al
    out 0xA0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xA1, al
    mov al, 0x04
    out 0x21, al
    mov al, 0x02
    out 0xA1, al
    mov al, 0x01
    out 0x21, al
    out 0xA1, al
    mov al, 0xFE                        ; only IRQ 0
    out 0x21, al
    mov al, 0xFF
    out 0xA1, al

; ---- pit -------------------------------------------------------------------------------------
    mov al, 0x34                        ; counter 0, LSB/MSB, mode 2
    out 0x43, al
    mov ax, 1193
    out 0x40, al
    mov al, ah
    out 0x40, al
    sti
.pit_wait:
    hlt
    cmp dword [pit_ticks], 10
    jb .pit_wait
    cli
    PRINT s_pit
    mov eax, [pit_ticks]
    call dec32
    call newline

; ---- rtc -------------------------------------------------------------------------------------
    mov al, 0xFF                        ; IRQ 0 off; IRQ 2 (cascade) on; slave: IRQ 8 only
    out 0x21, al
    mov al, 0xFB
    out 0x21, al
    mov al, 0xFE
    out 0xA1, al
    mov al, 0x0A
    out 0x70, al
    mov al, 0x26                        ; divider on, rate 6: 1024 Hz
    out 0x71, al
    mov al, 0x0B
    out 0x70, al
    in al, 0x71
    or al, 0x40                         ; PIE
    mov bl, al
    mov al, 0x0B
    out 0x70, al
    mov al, bl
    out 0x71, al
    sti
.rtc_wait:
    hlt
    cmp dword [rtc_ticks], 8
    jb .rtc_wait
    cli
    mov al, 0x0B                        ; PIE off again
    out 0x70, al
    mov al, 0x02
    out 0x71, al
    PRINT s_rtc
    mov eax, [rtc_ticks]
    call dec32
    call newline

; ---- uart ------------------------------------------------------------------------------------
    mov dx, COM1 + 2
    mov al, 0x07                        ; FIFO on, cleared, trigger 1
    out dx, al
    mov dx, COM1 + 4
    mov al, 0x0B                        ; DTR, RTS, OUT2 (IRQ enable)
    out dx, al
    mov dx, COM1 + 1
    mov al, 0x01                        ; RX data available interrupt
    out dx, al
    mov al, 0xFB                        ; master: IRQ 2 off, IRQ 4 on
    out 0x21, al
    mov al, 0xEF
    out 0x21, al
    PRINT s_uart
    sti
.uart_wait:
    hlt
    cmp byte [done], 0
    je .uart_wait
    cli
    mov al, ' '
    call putc
    mov eax, [rx_count]
    call dec32
    call newline

; ---- mask ------------------------------------------------------------------------------------
    mov dx, COM1 + 1                    ; no more UART interrupts
    xor al, al
    out dx, al
    mov al, 0xFF                        ; everything masked: nothing can wake the CPU
    out 0x21, al
    PRINT s_mask
    mov eax, [spurious]
    call dec32
    call newline
    xor eax, eax
    out DEBUG_EXIT, eax
    sti
    hlt

pit_isr:
    push eax
    inc dword [pit_ticks]
    mov al, 0x20
    out 0x20, al
    pop eax
    iret

rtc_isr:
    push eax
    mov al, 0x0C
    out 0x70, al
    in al, 0x71                         ; read-to-clear: lets the next interrupt through
    inc dword [rtc_ticks]
    mov al, 0x20
    out 0xA0, al
    out 0x20, al
    pop eax
    iret

com1_isr:
    push eax
    push edx
.more:
    mov dx, COM1 + 5
    in al, dx
    test al, 1                          ; data ready
    jz .out
    mov dx, COM1
    in al, dx
    inc dword [rx_count]
    cmp al, '.'
    jne .echo
    mov byte [done], 1
    jmp .more
.echo:
    out DEBUGCON, al
    jmp .more
.out:
    mov al, 0x20
    out 0x20, al
    pop edx
    pop eax
    iret

spurious_isr:
    inc dword [spurious]
    iret

puts:
    lodsb
    test al, al
    jz .done
    out DEBUGCON, al
    jmp puts
.done:
    ret

putc:
    out DEBUGCON, al
    ret

newline:
    mov al, 10
    out DEBUGCON, al
    ret

; eax printed in decimal
dec32:
    push ebx
    push ecx
    push edx
    mov ebx, 10
    xor ecx, ecx
.div:
    xor edx, edx
    div ebx
    push edx
    inc ecx
    test eax, eax
    jnz .div
.print:
    pop eax
    add al, '0'
    out DEBUGCON, al
    loop .print
    pop edx
    pop ecx
    pop ebx
    ret

s_pit:  db "pit ", 0
s_rtc:  db "rtc ", 0
s_uart: db "uart ", 0
s_mask: db "mask spurious ", 0

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF
    dq 0x00CF92000000FFFF
gdtr:
    dw 23
    dd gdt
idtr:
    dw 256 * 8 - 1
    dd idt

load_end:
section .bss align=16
done:        resb 1
alignb 4
pit_ticks:   resd 1
rtc_ticks:   resd 1
rx_count:    resd 1
spurious:    resd 1
idt:         resb 256 * 8
             resb 4096
stack_top:
bss_end:
