; CR8 and the local APIC's TPR in 64-bit mode (SDM Vol. 3A §10.8.6.1), printed on COM1:
;   cr8->tpr  MOV CR8 = 5 reads back as MMIO TPR 0x50 (TPR[3:0] = 0)
;   tpr->cr8  MMIO TPR = 0x7A reads back as CR8 = 7
;   mask      CR8 = 3 holds self-IPI vector 0x31 (class 3); CR8 = 2 lets it in right after the MOV
; A multiboot v1 kernel: 32-bit entry, 4-level paging (2 MiB pages: 0-8 MiB and the APIC page),
; long mode, exit through 0xF4.
; Build (repository root): nasm -f bin -o test/machine/guests/cr8-tpr.img test/machine/guests/cr8-tpr.asm

bits 32
org 0x100000

MB_MAGIC   equ 0x1BADB002
MB_FLAGS   equ (1 << 16)
COM1       equ 0x3F8
DEBUG_EXIT equ 0xF4
APIC       equ 0xFEE00000
PML4       equ 0x200000
PDPT       equ 0x201000
PD0        equ 0x202000
PD3        equ 0x203000

mb_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd mb_header
    dd mb_header
    dd load_end
    dd bss_end
    dd start

start:
    cli
    mov edi, PML4
    mov ecx, 4 * 4096 / 4
    xor eax, eax
    rep stosd
    mov dword [PML4], PDPT + 3
    mov dword [PDPT], PD0 + 3
    mov dword [PDPT + 3 * 8], PD3 + 3
    mov dword [PD0], 0x000083
    mov dword [PD0 + 8], 0x200083
    mov dword [PD0 + 16], 0x400083
    mov dword [PD0 + 24], 0x600083
    mov dword [PD3 + 0x1F7 * 8], APIC | 0x93     ; P RW PCD PS
    mov eax, PML4
    mov cr3, eax
    mov eax, cr4
    or eax, 1 << 5                              ; PAE
    mov cr4, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, 1 << 8                              ; LME
    wrmsr
    lgdt [gdtr]
    mov eax, cr0
    or eax, 0x80000001
    mov cr0, eax
    jmp 0x08:long64

bits 64
long64:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, stack_top
    mov rbp, APIC                               ; APIC registers through rbp (a disp32 would sign-extend)
    ; IDT gate 0x31 -> tpr_isr (64-bit interrupt gate)
    mov rax, tpr_isr
    mov rdi, idt + 0x31 * 16
    mov [rdi], ax
    mov word [rdi + 2], 0x08
    mov word [rdi + 4], 0x8E00
    shr rax, 16
    mov [rdi + 6], ax
    shr rax, 16
    mov [rdi + 8], eax
    lidt [idtr]
    mov dword [rbp + 0xF0], 0x1FF              ; software-enable

    mov rsi, s_cr8tpr
    call puts
    mov eax, 5
    mov cr8, rax
    mov eax, [rbp + 0x80]
    call hex32
    call newline

    mov rsi, s_tprcr8
    call puts
    mov dword [rbp + 0x80], 0x7A
    mov rax, cr8
    call hex32
    call newline

    mov rsi, s_mask
    call puts
    sti
    mov eax, 3
    mov cr8, rax
    mov dword [rbp + 0x300], 0x40031           ; fixed, self, vector 0x31
    nop
    mov eax, [count]
    call hex32
    mov al, ' '
    call putc
    mov eax, 2
    mov cr8, rax                                ; the interrupt is taken right after this
    mov eax, [count]
    call hex32
    call newline
    cli
    mov al, 1
    out DEBUG_EXIT, al
    hlt

tpr_isr:
    inc dword [count]
    mov dword [rbp + 0xB0], 0
    iretq

hex32:
    push rcx
    mov ecx, 8
.digit:
    rol eax, 4
    push rax
    and eax, 0xF
    mov al, [hex_digits + rax]
    call putc
    pop rax
    loop .digit
    pop rcx
    ret
newline:
    mov al, 10
    jmp putc
puts:
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret
putc:
    push rdx
    push rax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop rax
    mov dx, COM1
    out dx, al
    pop rdx
    ret

hex_digits: db "0123456789ABCDEF"
s_cr8tpr: db "cr8->tpr ", 0
s_tprcr8: db "tpr->cr8 ", 0
s_mask:   db "mask ", 0
align 8
gdt:
    dq 0
    dq 0x00AF9A000000FFFF                       ; 64-bit code
    dq 0x00CF92000000FFFF                       ; data
gdtr:
    dw 23
    dd gdt
idtr:
    dw 256 * 16 - 1
    dq idt

load_end:
section .bss align=16
count:  resd 4
idt:    resb 256 * 16
        resb 4096
stack_top:
bss_end:
