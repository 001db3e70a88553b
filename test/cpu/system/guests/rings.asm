; System-side test guest: privilege levels, gates, exceptions and fast system calls.
;
; A multiboot v1 kernel (a.out kludge; runs under `qemu-system-x86_64 -kernel` too, which is
; where expected-rings.txt was recorded). It prints on COM1 what its handlers see:
;   32-bit: INT at CPL 0; IRET to CPL 3; INT 0x80 from CPL 3 (TSS stack switch); a call gate
;   with one parameter and RETF 4; #GP from CPL 3 for MOV CR0, a DPL-0 data selector, HLT and
;   INT through a DPL-0 gate (error codes), each resumed by rewriting the saved EIP; a
;   legacy-mode SYSCALL (AMD semantics, as the modelled CPU reports AuthenticAMD).
;   64-bit: INT with the 16-byte frame alignment; #UD on IST1; #PF (CR2, error code);
;   IRETQ to CPL 3; SYSCALL/SYSRET; INT 0x80 from CPL 3; #GP from CPL 3; exit through 0xF4.
;
; Build (from the repository root): nasm -f bin -o test/cpu/system/guests/rings.img test/cpu/system/guests/rings.asm

bits 32
org 0x100000
%define ABS(x) ((x) - $$ + 0x100000)

MB_MAGIC   equ 0x1BADB002
MB_FLAGS   equ (1 << 16)
COM1       equ 0x3F8
DEBUG_EXIT equ 0xF4

K_CODE32 equ 0x08
K_DATA32 equ 0x10
U_CODE32 equ 0x18 | 3
U_DATA32 equ 0x20 | 3
TSS32    equ 0x28
K_CODE64 equ 0x30
K_DATA64 equ 0x38
U_DATA64 equ 0x40 | 3
U_CODE64 equ 0x48 | 3
TSS64    equ 0x50
GATE     equ 0x60 | 3

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

; edi = vector, eax = handler, edx = type/attr word (0x8E00 int gate DPL 0, 0xEE00 DPL 3)
set_gate32:
    lea edi, [idt32 + edi * 8]
    mov [edi], ax
    mov word [edi + 2], K_CODE32
    mov [edi + 4], dx
    shr eax, 16
    mov [edi + 6], ax
    ret

start:
    mov esp, stack0_top
    lgdt [gdt_desc]
    jmp K_CODE32:.flat
.flat:
    mov ax, K_DATA32
    mov ss, ax
    ; Data segments: the DPL-3 flat segment, usable at every CPL, so that IRET/RETF to CPL 3
    ; keep them (a DPL-0 DS would be nulled on the way out).
    mov ax, U_DATA32
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    ; TSS: SS0:ESP0
    mov dword [tss32 + 4], stack0_top
    mov dword [tss32 + 8], K_DATA32
    mov ax, TSS32
    ltr ax
    ; IDT
    mov edi, 13
    mov eax, gp32
    mov edx, 0x8E00
    call set_gate32
    mov edi, 0x30
    mov eax, int30
    mov edx, 0x8E00
    call set_gate32
    mov edi, 0x31
    mov eax, int30
    mov edx, 0x8E00
    call set_gate32
    mov edi, 0x80
    mov eax, int80
    mov edx, 0xEE00
    call set_gate32
    mov edi, 0x81
    mov eax, to_long
    mov edx, 0xEE00
    call set_gate32
    lidt [idt32_desc]
    ; legacy-mode SYSCALL (AMD): CS:EIP = STAR[47:32]:STAR[31:0]
    mov ecx, 0xC0000081
    mov eax, syscall32
    mov edx, K_CODE32
    wrmsr
    mov ecx, 0xC0000080
    rdmsr
    or eax, 1                           ; SCE
    wrmsr
    PRINT msg_hello

    ; INT at CPL 0 (no stack switch)
    int 0x30
after_int30:

    ; IRET to CPL 3
    push U_DATA32
    push stack3_top
    push 0x002
    push U_CODE32
    push ring3
    iretd

; ---- ring 3 (32-bit) ------------------------------------------------------------------------
ring3:
    mov esi, msg_user
    int 0x80
    push 0x1234ABCD
    call GATE:0                         ; RETF 4 releases the parameter
    mov dword [gp_resume], .r1
    mov eax, cr0
.r1:
    mov dword [gp_resume], .r2
    mov ax, K_DATA32
    mov ds, ax
.r2:
    mov dword [gp_resume], .r3
    hlt
.r3:
    mov dword [gp_resume], .r4
    int 0x31
.r4:
    mov eax, 5
    syscall
.r5:
    int 0x81

; ---- ring 0 handlers (32-bit) ---------------------------------------------------------------
int30:
    PRINT msg_int30
    HEX [esp + 4]
    PRINT msg_ret
    mov eax, [esp]
    sub eax, ABS(after_int30)
    call hex32
    call newline
    iretd

; INT 0x80: print the caller's CS, SS, ESP and the string at ESI
int80:
    push esi
    PRINT msg_int80_cs
    HEX [esp + 8]
    PRINT msg_ss
    HEX [esp + 20]
    PRINT msg_esp
    HEX [esp + 16]
    PRINT msg_esp0
    lea eax, [esp + 4]
    call hex32
    call newline
    pop esi
    call puts
    iretd

; call gate target: [esp] EIP, [esp+4] CS, [esp+8] parameter, [esp+12] ESP, [esp+16] SS
gate_target:
    PRINT msg_gate
    HEX [esp + 8]
    PRINT msg_cs
    HEX [esp + 4]
    PRINT msg_ss
    HEX [esp + 16]
    PRINT msg_cpl0_ss
    mov eax, ss
    call hex32
    call newline
    retf 4

; legacy SYSCALL: CPL 0 on the caller's stack; ECX = return EIP. Return with IRETD (SYSRET
; would set IF, and QEMU's timer could then interrupt).
syscall32:
    mov ebx, eax
    mov edi, ecx
    PRINT msg_syscall32
    HEX ebx
    PRINT msg_cs
    mov eax, cs
    call hex32
    PRINT msg_ret
    mov eax, edi
    sub eax, ABS(ring3.r5)
    call hex32
    call newline
    mov eax, esp
    push U_DATA32
    push eax
    push 0x002
    push U_CODE32
    push edi
    iretd

; #GP: print error code and CS, resume at [gp_resume]
gp32:
    PRINT msg_gp
    HEX [esp]
    PRINT msg_cs
    HEX [esp + 8]
    call newline
    add esp, 4
    mov eax, [gp_resume]
    mov [esp], eax
    iretd

; ---- into long mode --------------------------------------------------------------------------
to_long:
    mov esp, stack0_top
    ; identity map 0-4 MiB with two user-accessible 2 MiB pages
    mov dword [pml4], pdpt + 7
    mov dword [pdpt], pd + 7
    mov dword [pd], 0x000087
    mov dword [pd + 8], 0x200087
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    mov eax, pml4
    mov cr3, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, (1 << 8) | 1               ; LME, SCE
    wrmsr
    mov eax, cr0
    or eax, 1 << 31
    mov cr0, eax
    jmp K_CODE64:long64

; ---- helpers (32-bit) -----------------------------------------------------------------------
%include "guests/lib/serial32.inc"         ; hex32, newline, puts, putc

; ---- 64-bit ---------------------------------------------------------------------------------
bits 64

%macro PRINT64 1
    lea rsi, [rel %1]
    call puts64
%endmacro

%macro HEX64 1
    mov rax, %1
    call hex64
%endmacro

; edi = vector, rax = handler, edx = type/attr word, ecx = IST
set_gate64:
    shl edi, 4
    lea rdi, [rdi + idt64]
    mov [rdi], ax
    mov word [rdi + 2], K_CODE64
    mov [rdi + 4], cl
    mov [rdi + 5], dh
    shr rax, 16
    mov [rdi + 6], ax
    shr rax, 16
    mov [rdi + 8], eax
    mov dword [rdi + 12], 0
    ret

%macro GATE64 4
    mov edi, %1
    lea rax, [rel %2]
    mov edx, %3
    mov ecx, %4
    call set_gate64
%endmacro

long64:
    mov ax, K_DATA64
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, stack0_top
    ; 64-bit TSS: RSP0, IST1
    lea rax, [rel stack0_top]
    mov [rel tss64 + 4], rax
    lea rax, [rel ist1_top]
    mov [rel tss64 + 0x24], rax
    mov ax, TSS64
    ltr ax
    GATE64 6, ud64, 0x8E00, 1
    GATE64 13, gp64, 0x8E00, 0
    GATE64 14, pf64, 0x8E00, 0
    GATE64 0x30, int30_64, 0x8E00, 0
    GATE64 0x80, int80_64, 0xEE00, 0
    GATE64 0x81, done64, 0xEE00, 0
    lidt [rel idt64_desc]
    PRINT64 msg_long

    ; INT with a misaligned RSP: the frame is aligned down to 16
    sub rsp, 8
    int 0x30
    add rsp, 8

    ; #UD through IST1
    ud2
after_ud:
    ; #PF on an unmapped address
    lea rax, [rel after_pf]
    mov [rel pf_resume], rax
    mov rax, [0x40000000]
after_pf:
    ; SYSCALL setup: STAR, LSTAR, SFMASK
    mov ecx, 0xC0000081
    xor eax, eax
    mov edx, (0x38 << 16) | K_CODE64
    wrmsr
    mov ecx, 0xC0000082
    lea rax, [rel syscall_entry]
    mov rdx, rax
    shr rdx, 32
    wrmsr
    mov ecx, 0xC0000084
    mov eax, 0x200
    xor edx, edx
    wrmsr
    ; IRETQ to CPL 3
    push U_DATA64
    lea rax, [rel stack3_top]
    push rax
    push 0x002                          ; IF = 0: no device interrupt may arrive
    push U_CODE64
    lea rax, [rel ring3_64]
    push rax
    iretq

ring3_64:
    mov eax, 7
    syscall
    lea rsi, [rel msg_user64]
    int 0x80
    lea rax, [rel .r1]
    mov [rel gp_resume], rax
    mov rax, cr3
.r1:
    int 0x81

int30_64:
    PRINT64 msg_int30_64
    mov rax, rsp
    and rax, 15
    call hex64
    PRINT64 msg_rsp
    HEX64 [rsp + 24]
    call newline64
    iretq

ud64:
    PRINT64 msg_ud
    lea rax, [rel ist1_top]
    sub rax, rsp
    call hex64
    PRINT64 msg_ret
    mov rax, [rsp]
    lea rdx, [rel after_ud]
    sub rax, rdx
    call hex64
    call newline64
    add qword [rsp], 2
    iretq

pf64:
    PRINT64 msg_pf
    mov rax, cr2
    call hex64
    PRINT64 msg_err
    HEX64 [rsp]
    call newline64
    add rsp, 8
    mov rax, [rel pf_resume]
    mov [rsp], rax
    iretq

gp64:
    PRINT64 msg_gp
    HEX64 [rsp]
    PRINT64 msg_cs
    HEX64 [rsp + 16]
    call newline64
    add rsp, 8
    mov rax, [rel gp_resume]
    mov [rsp], rax
    iretq

syscall_entry:
    mov rbx, rax
    PRINT64 msg_syscall
    HEX64 rbx
    PRINT64 msg_r11
    mov rax, r11
    and eax, 0x200
    call hex64
    PRINT64 msg_ret
    mov rax, rcx
    lea rdx, [rel ring3_64]
    sub rax, rdx
    call hex64
    call newline64
    o64 sysret

int80_64:
    push rsi
    PRINT64 msg_int80_cs
    HEX64 [rsp + 16]
    PRINT64 msg_ss
    HEX64 [rsp + 40]
    PRINT64 msg_esp0
    lea rax, [rsp + 8]
    lea rdx, [rel stack0_top]
    sub rdx, rax
    mov rax, rdx
    call hex64
    call newline64
    pop rsi
    call puts64
    iretq

done64:
    PRINT64 msg_done
    mov dx, DEBUG_EXIT
    xor eax, eax
    out dx, al
.hang:
    hlt
    jmp .hang

hex64:
    push rcx
    push rdx
    mov ecx, 16
.digit:
    rol rax, 4
    push rax
    and eax, 0xF
    lea rdx, [rel hex_digits]
    mov al, [rdx + rax]
    call putc64
    pop rax
    loop .digit
    pop rdx
    pop rcx
    ret

newline64:
    mov al, 10
    jmp putc64

%include "guests/lib/serial64.inc"         ; puts64, putc64

; ---- data -----------------------------------------------------------------------------------
align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF               ; 0x08 kernel code32
    dq 0x00CF92000000FFFF               ; 0x10 kernel data32
    dq 0x00CFFA000000FFFF               ; 0x18 user code32
    dq 0x00CFF2000000FFFF               ; 0x20 user data32
    ; 0x28 TSS32 (available 32-bit TSS, limit 0x67)
    dw 0x67, ABS(tss32) & 0xFFFF
    db (ABS(tss32) >> 16) & 0xFF, 0x89, 0, (ABS(tss32) >> 24) & 0xFF
    dq 0x00AF9A000000FFFF               ; 0x30 kernel code64
    dq 0x00CF92000000FFFF               ; 0x38 kernel data
    dq 0x00CFF2000000FFFF               ; 0x40 user data
    dq 0x00AFFA000000FFFF               ; 0x48 user code64
    ; 0x50 TSS64 (16 bytes)
    dw 0x67, ABS(tss64) & 0xFFFF
    db (ABS(tss64) >> 16) & 0xFF, 0x89, 0, (ABS(tss64) >> 24) & 0xFF
    dq 0
    ; 0x60 call gate, DPL 3, 1 parameter, to K_CODE32:gate_target
    dw ABS(gate_target) & 0xFFFF, K_CODE32
    db 1, 0xEC
    dw (ABS(gate_target) >> 16) & 0xFFFF
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd gdt
idt32_desc:
    dw 256 * 8 - 1
    dd idt32
idt64_desc:
    dw 256 * 16 - 1
    dq idt64

hex_digits:   db "0123456789ABCDEF"
msg_hello:    db "rings: 32-bit protected mode", 10, 0
msg_int30:    db "int 0x30 at CPL 0: cs=", 0
msg_ret:      db " ret-offset=", 0
msg_int80_cs: db "int 0x80 from cs=", 0
msg_ss:       db " ss=", 0
msg_esp:      db " esp=", 0
msg_esp0:     db " frame=", 0
msg_user:     db "hello from CPL 3", 10, 0
msg_gate:     db "call gate: param=", 0
msg_cs:       db " cs=", 0
msg_cpl0_ss:  db " new ss=", 0
msg_gp:       db "#GP err=", 0
msg_long:     db "rings: 64-bit mode", 10, 0
msg_int30_64: db "int 0x30 in 64-bit mode: rsp&15=", 0
msg_rsp:      db " old rsp&15 was 8: rsp=", 0
msg_ud:       db "#UD on IST1: depth=", 0
msg_pf:       db "#PF cr2=", 0
msg_err:      db " err=", 0
msg_syscall:  db "syscall rax=", 0
msg_syscall32: db "syscall (legacy mode): eax=", 0
msg_r11:      db " r11.IF=", 0
msg_user64:   db "hello from CPL 3 (64-bit)", 10, 0
msg_done:     db "rings: done", 10, 0

align 16
tss32:      times 0x68 db 0
align 16
tss64:      times 0x68 db 0
align 8
gp_resume:  dq 0
pf_resume:  dq 0
load_end:

section .bss align=4096
pml4:    resb 4096
pdpt:    resb 4096
pd:      resb 4096
idt32:   resb 256 * 8
idt64:   resb 256 * 16
alignb 16
         resb 4096
stack0_top:
         resb 4096
stack3_top:
         resb 4096
ist1_top:
bss_end:
