; Interrupt test guest: the local APIC and event delivery, printed on COM1, exit through 0xF4.
;   shadow   a self-IPI pending under IF=0 is taken after the instruction following STI
;   tpr      TPR 0x30 holds vector 0x31 pending (IRR set), TPR 0x20 releases it at once
;   periodic the APIC timer in periodic mode wakes HLT 5 times (divide 1, 100000 counts)
;   oneshot  one-shot mode: one tick, then the current count reads 0
;   deadline TSC-deadline mode (IA32_TSC_DEADLINE) wakes HLT once, the MSR reads 0 after
;   nmi      an NMI self-IPI; a second one sent inside the handler waits for its IRET
;   eoi      ISR bit of the vector in service is set in the handler, clear after EOI
; A multiboot v1 kernel (a.out kludge), 32-bit protected mode, paging off.
; Build (repository root): nasm -f bin -o test/machine/guests/interrupts.img test/machine/guests/interrupts.asm

bits 32
org 0x100000

MB_MAGIC   equ 0x1BADB002
MB_FLAGS   equ (1 << 16)
COM1       equ 0x3F8
DEBUG_EXIT equ 0xF4
APIC       equ 0xFEE00000
A_TPR      equ APIC + 0x80
A_EOI      equ APIC + 0xB0
A_SVR      equ APIC + 0xF0
A_ISR      equ APIC + 0x100
A_IRR      equ APIC + 0x200
A_ICR      equ APIC + 0x300
A_LVT_T    equ APIC + 0x320
A_INIT     equ APIC + 0x380
A_CUR      equ APIC + 0x390
A_DCR      equ APIC + 0x3E0

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

%macro HEX 1
    mov eax, %1
    call hex32
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
    mov eax, timer_isr
    call set_gate
    mov edi, 0x21
    mov eax, ipi_isr
    call set_gate
    mov edi, 0x31
    mov eax, tpr_isr
    call set_gate
    mov edi, 0xFF
    mov eax, spurious_isr
    call set_gate
    mov edi, 2
    mov eax, nmi_isr
    call set_gate
    lidt [idtr]
    mov dword [A_SVR], 0x1FF            ; software-enable, spurious vector 0xFF

; ---- shadow ----------------------------------------------------------------------------------
    mov dword [A_ICR], 0x40021          ; fixed, self, vector 0x21 (IF=0: stays in IRR)
    mov byte [marker], 0
    sti
    mov byte [marker], 1                ; runs in the STI shadow, before the interrupt
    nop
    cli
    PRINT s_shadow
    movzx eax, byte [seen_marker]
    call hex32
    call newline

; ---- tpr -------------------------------------------------------------------------------------
    mov dword [A_TPR], 0x30
    sti
    mov dword [A_ICR], 0x40031          ; class 3 <= TPR class 3: held
    nop
    nop
    PRINT s_tpr
    HEX [tpr_count]
    mov al, ' '
    call putc
    mov eax, [A_IRR + 0x10]             ; IRR bits 32..63: vector 0x31 is bit 17
    call hex32
    mov dword [A_TPR], 0x20             ; released: taken right after this store
    mov eax, [tpr_count]
    mov [tpr_after], eax
    mov al, ' '
    call putc
    HEX [tpr_after]
    call newline
    mov dword [A_TPR], 0

; ---- periodic --------------------------------------------------------------------------------
    mov dword [A_DCR], 0xB              ; divide by 1
    mov dword [A_LVT_T], 0x20020        ; periodic, vector 0x20
    mov dword [A_INIT], 100000
    mov eax, [A_CUR]
    mov [cur1], eax
.wait5:
    hlt
    cmp dword [ticks], 5
    jb .wait5
    mov dword [A_INIT], 0               ; stop
    PRINT s_periodic
    HEX [ticks]
    mov al, ' '
    call putc
    mov eax, [cur1]
    cmp eax, 100000
    setbe al
    movzx eax, al
    call hex32
    call newline

; ---- oneshot ---------------------------------------------------------------------------------
    mov dword [ticks], 0
    mov dword [A_LVT_T], 0x20           ; one-shot, vector 0x20
    mov dword [A_INIT], 50000
.wait1:
    hlt
    cmp dword [ticks], 1
    jb .wait1
    PRINT s_oneshot
    HEX [ticks]
    mov al, ' '
    call putc
    HEX [A_CUR]
    call newline

; ---- deadline --------------------------------------------------------------------------------
    mov dword [ticks], 0
    mov dword [A_LVT_T], 0x40020        ; TSC-deadline, vector 0x20
    rdtsc
    add eax, 200000
    adc edx, 0
    mov ecx, 0x6E0
    wrmsr
.waitd:
    hlt
    cmp dword [ticks], 1
    jb .waitd
    mov ecx, 0x6E0
    rdmsr
    or eax, edx
    mov [dl_after], eax
    PRINT s_deadline
    HEX [ticks]
    mov al, ' '
    call putc
    HEX [dl_after]
    call newline

; ---- nmi -------------------------------------------------------------------------------------
    mov dword [A_ICR], 0x40400          ; NMI, self
    nop
    PRINT s_nmi
    HEX [nmi_count]
    mov al, ' '
    call putc
    HEX [nmi_nested]
    call newline

; ---- eoi -------------------------------------------------------------------------------------
    PRINT s_eoi
    HEX [isr_in]
    mov al, ' '
    call putc
    HEX [A_ISR + 0x10]
    call newline

    cli
    mov al, 1
    out DEBUG_EXIT, al                  ; exit status 3
    hlt

; ---- handlers --------------------------------------------------------------------------------
timer_isr:
    inc dword [ticks]
    mov dword [A_EOI], 0
    iret

ipi_isr:
    push eax
    mov al, [marker]
    mov [seen_marker], al
    mov dword [A_EOI], 0
    pop eax
    iret

tpr_isr:
    push eax
    inc dword [tpr_count]
    mov eax, [A_ISR + 0x10]             ; ISR bit 17 (vector 0x31) while in service
    mov [isr_in], eax
    mov dword [A_EOI], 0
    pop eax
    iret

spurious_isr:
    inc dword [spurious]
    iret

nmi_isr:
    push eax
    inc dword [nmi_count]
    cmp dword [nmi_count], 1
    jne .out
    mov dword [A_ICR], 0x40400          ; a second NMI: blocked until this handler's IRET
    nop
    nop
    mov eax, [nmi_count]
    mov [nmi_nested], eax               ; still 1
.out:
    pop eax
    iret

%include "guests/lib/serial32.inc"

hex_digits: db "0123456789ABCDEF"
s_shadow:   db "shadow ", 0
s_tpr:      db "tpr ", 0
s_periodic: db "periodic ", 0
s_oneshot:  db "oneshot ", 0
s_deadline: db "deadline ", 0
s_nmi:      db "nmi ", 0
s_eoi:      db "eoi ", 0

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
marker:      resb 1
seen_marker: resb 1
alignb 4
ticks:       resd 1
tpr_count:   resd 1
tpr_after:   resd 1
cur1:        resd 1
dl_after:    resd 1
nmi_count:   resd 1
nmi_nested:  resd 1
isr_in:      resd 1
spurious:    resd 1
idt:         resb 256 * 8
             resb 4096
stack_top:
bss_end:
