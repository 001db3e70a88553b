; System-side test guest: segmentation checks, descriptor instructions and virtual-8086 mode.
;
; A multiboot v1 kernel (a.out kludge; expected-segments.txt was recorded under
; `qemu-system-x86_64 -cpu max -kernel`). Every exception goes to one handler that prints the
; vector and error code and resumes at [resume]. It prints:
;   segment loads that fault (#NP, #SS, #GP with selector error codes), expand-down and
;   read-only data accesses, LAR/LSL/VERR/VERW results, SGDT/SIDT/SLDT/STR, an LDT load,
;   DS nulled by IRET to CPL 3, and a trip through virtual-8086 mode (INT n from v86 with the
;   nine-dword frame, IRET back to v86, #GP for HLT in v86).
;
; Build (from the repository root): nasm -f bin -o test/cpu/system/guests/segments.img test/cpu/system/guests/segments.asm

bits 32
org 0x100000
%define ABS(x) ((x) - $$ + 0x100000)

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ (1 << 16)
COM1     equ 0x3F8
V86_SEG  equ 0x2000                    ; v86 code copied to 0x20000

K_CODE   equ 0x08
K_DATA   equ 0x10
EXPDOWN  equ 0x18
NOTPRES  equ 0x20
RODATA   equ 0x28
XONLY    equ 0x30
TSS      equ 0x38
U_CODE   equ 0x40 | 3
U_DATA   equ 0x48 | 3
LDTSEL   equ 0x50

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

; Set [resume] to the label after the next instruction(s).
%macro RESUME 1
    mov dword [resume], %1
%endmacro

%macro STUB 2                           ; vector, pushes-error-code
exc%1:
%if %2 == 0
    push 0
%endif
    push %1
    jmp exc_common
%endmacro

start:
    mov esp, stack0_top
    lgdt [gdt_desc]
    jmp K_CODE:.flat
.flat:
    mov ax, K_DATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov dword [tss + 4], stack0_top
    mov dword [tss + 8], K_DATA
    mov ax, TSS
    ltr ax
    ; IDT: exceptions 6, 10-13 to their stubs; 0x30 (DPL 3) for v86; 0x80 (DPL 3) syscall
    mov edi, 6
    mov eax, exc6
    call set_gate
    mov edi, 10
    mov eax, exc10
    call set_gate
    mov edi, 11
    mov eax, exc11
    call set_gate
    mov edi, 12
    mov eax, exc12
    call set_gate
    mov edi, 13
    mov eax, exc13
    call set_gate
    mov edi, 0x30
    mov eax, int30
    call set_gate
    mov edi, 0x80
    mov eax, int80
    call set_gate
    lidt [idt_desc]
    PRINT msg_hello

    ; ---- segment-register loads that fault -----------------------------------------------
    RESUME .a1
    mov ax, NOTPRES
    mov ds, ax                          ; #NP(0x20)
.a1:
    RESUME .a2
    mov ax, NOTPRES
    mov ss, ax                          ; #SS(0x20)
.a2:
    RESUME .a3
    mov ax, RODATA
    mov ss, ax                          ; #GP(0x28): SS must be writable
.a3:
    RESUME .a4
    mov ax, XONLY
    mov gs, ax                          ; #GP(0x30): execute-only code
.a4:
    RESUME .a5
    mov ax, 0x7f8
    mov fs, ax                          ; #GP(0x7F8): beyond the GDT limit
.a5:
    RESUME .a6
    xor eax, eax
    mov ss, ax                          ; #GP(0): null SS
.a6:
    ; ---- data accesses ---------------------------------------------------------------------
    mov ax, EXPDOWN
    mov es, ax
    mov dword [0x3000], 0xC0FFEE
    mov eax, [es:0x3000]                ; above the expand-down limit: fine
    mov [value], eax
    PRINT msg_expdown
    HEX [value]
    call newline
    mov ax, K_DATA
    mov es, ax
    ; ---- LAR / LSL / VERR / VERW ------------------------------------------------------------
    mov ebx, K_CODE
    call probe
    mov ebx, EXPDOWN
    call probe
    mov ebx, RODATA
    call probe
    mov ebx, XONLY
    call probe
    mov ebx, TSS
    call probe
    mov ebx, U_DATA
    call probe
    mov ebx, 0x7f8
    call probe
    ; ---- SGDT / SIDT / STR / LLDT / SLDT ---------------------------------------------------
    sgdt [pseudo]
    PRINT msg_sgdt
    movzx eax, word [pseudo]
    call hex32
    mov al, ' '
    call putc
    HEX [pseudo + 2]
    call newline
    sidt [pseudo]
    PRINT msg_sidt
    movzx eax, word [pseudo]
    call hex32
    call newline
    mov ax, LDTSEL
    lldt ax
    xor eax, eax
    sldt ax
    mov [value], eax
    str ax
    mov [value2], eax
    PRINT msg_sldt
    HEX [value]
    PRINT msg_str
    HEX [value2]
    call newline
    mov ax, 0x0C                        ; LDT entry 1, TI = 1, RPL 0
    mov gs, ax
    mov eax, [gs:0]                     ; base 0x3000
    mov [value], eax
    PRINT msg_ldt
    HEX [value]
    call newline
    mov ax, K_DATA
    mov gs, ax

    ; ---- IRET to CPL 3 nulls DS (DPL 0) ------------------------------------------------------
    push U_DATA
    push stack3_top
    push 0x3002                         ; IOPL 3
    push U_CODE
    push ring3
    iretd
ring3:
    mov ax, ds
    int 0x80                            ; print AX (the selector left in DS)

after_ring3:
    mov ax, K_DATA                      ; ES/FS/GS were nulled on the way to CPL 3
    mov es, ax
    mov fs, ax
    mov gs, ax
    ; ---- virtual-8086 mode ---------------------------------------------------------------------
    mov esi, v86_code
    mov edi, V86_SEG * 16
    mov ecx, v86_end - v86_code
    rep movsb
    push 0x4444                         ; GS
    push 0x3333                         ; FS
    push 0x2222                         ; DS
    push 0x1111                         ; ES
    push 0x1000                         ; SS
    push 0x0800                         ; SP
    push (1 << 17) | 0x3002             ; EFLAGS: VM, IOPL 3
    push V86_SEG                        ; CS
    push 0                              ; IP
    RESUME after_v86
    iretd

after_v86:
    PRINT msg_done
    mov dx, 0xF4
    xor eax, eax
    out dx, al
.hang:
    hlt
    jmp .hang

; ---- 16-bit code run in v86 mode (position independent) --------------------------------------
bits 16
v86_code:
    mov ax, 0x1234
    int 0x30                            ; delivered through the IDT to CPL 0
    mov ax, 0x5678
    int 0x30
    hlt                                 ; #GP(0) in v86
v86_end:
bits 32

; ---- handlers -------------------------------------------------------------------------------
; INT 0x30 from v86: frame EIP CS EFLAGS ESP SS ES DS FS GS at [esp]
int30:
    mov ebx, eax
    mov ax, K_DATA
    mov ds, ax
    PRINT msg_v86
    HEX ebx
    PRINT msg_cs
    HEX [esp + 4]
    PRINT msg_ip
    HEX [esp]
    PRINT msg_vm
    mov eax, [esp + 8]
    and eax, (1 << 17)
    call hex32
    PRINT msg_segs
    HEX [esp + 20]
    mov al, ' '
    call putc
    HEX [esp + 24]
    mov al, ' '
    call putc
    HEX [esp + 28]
    mov al, ' '
    call putc
    HEX [esp + 32]
    call newline
    iretd

int80:
    mov ebx, eax
    mov ax, K_DATA
    mov ds, ax
    PRINT msg_ring3
    HEX ebx
    PRINT msg_cs
    HEX [esp + 4]
    call newline
    mov esp, stack0_top                 ; abandon CPL 3, continue at CPL 0
    jmp after_ring3

STUB 6, 0
STUB 10, 1
STUB 11, 1
STUB 12, 1
STUB 13, 1

; [esp] vector, [esp+4] error code, [esp+8] EIP, [esp+12] CS, [esp+16] EFLAGS
exc_common:
    push eax
    mov ax, K_DATA
    mov ds, ax
    PRINT msg_exc
    HEX [esp + 4]
    PRINT msg_err
    HEX [esp + 8]
    PRINT msg_cs
    HEX [esp + 16]
    call newline
    mov eax, [esp + 20]
    test eax, 1 << 17
    jnz .from_v86
    pop eax
    add esp, 8
    push eax
    mov eax, [resume]
    mov [esp + 4], eax
    pop eax
    iretd
.from_v86:
    mov esp, stack0_top                 ; abandon v86
    mov ax, K_DATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    jmp [resume]

; ebx = selector: print "sel: lar=.. zf lsl=.. zf verr zf verw zf"
probe:
    mov [value], ebx
    PRINT msg_probe
    HEX [value]
    PRINT msg_lar
    xor eax, eax
    mov ebx, [value]
    lar eax, ebx
    call hex_zf
    PRINT msg_lsl
    xor eax, eax
    mov ebx, [value]
    lsl eax, ebx
    call hex_zf
    PRINT msg_verr
    mov ebx, [value]
    verr bx
    call zf_only
    PRINT msg_verw
    mov ebx, [value]
    verw bx
    call zf_only
    call newline
    ret

; print eax and "/z" or "/-" from ZF (flags preserved by pushfd)
hex_zf:
    pushfd
    call hex32
    popfd
zf_only:
    mov al, '-'
    jnz .out
    mov al, 'Z'
.out:
    jmp putc

; edi = vector, eax = handler: 32-bit interrupt gate, DPL 3
set_gate:
    lea edi, [idt + edi * 8]
    mov [edi], ax
    mov word [edi + 2], K_CODE
    mov word [edi + 4], 0xEE00
    shr eax, 16
    mov [edi + 6], ax
    ret

%include "guests/lib/serial32.inc"         ; hex32, newline, puts, putc

; ---- data -----------------------------------------------------------------------------------
align 8
gdt:
    dq 0
    dq 0x00CF9B000000FFFF               ; 0x08 code (accessed)
    dq 0x00CF92000000FFFF               ; 0x10 data
    dq 0x0040960000000FFF               ; 0x18 expand-down data, limit 0xFFF (byte granular), B=1
    dq 0x00CF12000000FFFF               ; 0x20 data, not present
    dq 0x00CF90000000FFFF               ; 0x28 read-only data
    dq 0x00CF98000000FFFF               ; 0x30 execute-only code
    dw 0x67, ABS(tss) & 0xFFFF          ; 0x38 TSS
    db (ABS(tss) >> 16) & 0xFF, 0x89, 0, (ABS(tss) >> 24) & 0xFF
    dq 0x00CFFA000000FFFF               ; 0x40 user code
    dq 0x00CFF2000000FFFF               ; 0x48 user data
    dw 0x0F, ABS(ldt) & 0xFFFF          ; 0x50 LDT, two entries
    db (ABS(ldt) >> 16) & 0xFF, 0x82, 0, (ABS(ldt) >> 24) & 0xFF
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd gdt
idt_desc:
    dw 256 * 8 - 1
    dd idt

align 8
ldt:
    dq 0
    dq 0x00CF92003000FFFF               ; LDT 1: data, base 0x3000

hex_digits: db "0123456789ABCDEF"
msg_hello:   db "segments: 32-bit protected mode", 10, 0
msg_exc:     db "exception ", 0
msg_err:     db " err=", 0
msg_cs:      db " cs=", 0
msg_ip:      db " ip=", 0
msg_expdown: db "expand-down read at 0x3000: ", 0
msg_probe:   db "sel ", 0
msg_lar:     db ": lar=", 0
msg_lsl:     db " lsl=", 0
msg_verr:    db " verr=", 0
msg_verw:    db " verw=", 0
msg_sgdt:    db "sgdt: ", 0
msg_sidt:    db "sidt limit: ", 0
msg_sldt:    db "sldt=", 0
msg_str:     db " str=", 0
msg_ldt:     db "read through the LDT: ", 0
msg_ring3:   db "CPL 3 after IRET: ds=", 0
msg_v86:     db "int 0x30 from v86: ax=", 0
msg_vm:      db " eflags.vm=", 0
msg_segs:    db " es/ds/fs/gs=", 0
msg_done:    db "segments: done", 10, 0

align 16
tss:    times 0x68 db 0
align 4
resume: dd 0
value:  dd 0
value2: dd 0
pseudo: times 8 db 0
load_end:

section .bss align=4096
idt:    resb 256 * 8
alignb 16
        resb 4096
stack0_top:
        resb 4096
stack3_top:
bss_end:
