; trapspec default guest.
;
; A multiboot v1 kernel (flat binary with the a.out kludge, so `qemu-system-x86_64 -kernel`
; loads it too) that walks the x86 operating modes and prints the control registers at each
; step on COM1:
;   protected mode (multiboot entry) -> real mode and back -> 32-bit paging (4 KiB and 4 MiB
;   pages) -> PAE paging (2 MiB page) -> long mode (compatibility, then 64-bit code)
; and ends the run through the debug-exit port 0xF4 with 0 (exit status 1).
;
; Build (from the repository root): scripts/build-guests.sh

bits 32
org 0x100000

MB_MAGIC   equ 0x1BADB002
MB_FLAGS   equ (1 << 16) | (1 << 1)     ; a.out kludge, memory information
COM1       equ 0x3F8
DEBUG_EXIT equ 0xF4
RM_SEG     equ 0xFFFF                   ; real-mode segment whose base (0xFFFF0) reaches this image
RM_BASE    equ RM_SEG * 16

SEL_CODE32 equ 0x08
SEL_DATA32 equ 0x10
SEL_CODE16 equ 0x18
SEL_DATA16 equ 0x20
SEL_CODE64 equ 0x28

mb_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd mb_header                        ; header_addr
    dd mb_header                        ; load_addr
    dd load_end                         ; load_end_addr
    dd bss_end                          ; bss_end_addr
    dd start                            ; entry_addr

; ---------------------------------------------------------------------------------------------
start:
    mov esp, stack_top
    mov [boot_magic], eax
    mov [boot_info], ebx
    lgdt [gdt_desc]
    jmp SEL_CODE32:.flat
.flat:
    mov ax, SEL_DATA32
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax

    mov esi, msg_banner
    call puts
    mov esi, msg_magic
    call puts
    mov eax, [boot_magic]
    call hex32
    mov esi, msg_mem_lower
    call puts
    mov ebx, [boot_info]
    mov eax, [ebx + 4]                  ; mem_lower (KiB)
    call hex32
    call newline

    mov esi, msg_pm
    call puts
    call print_crs32

; ---- real mode and back ---------------------------------------------------------------------
    jmp SEL_CODE16:(to_real - RM_BASE)
bits 16
to_real:                                ; 16-bit protected mode, CS base = RM_BASE
    mov ax, SEL_DATA16
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
    jmp RM_SEG:(in_real - RM_BASE)
in_real:                                ; real mode
    mov ax, RM_SEG
    mov ds, ax
    mov eax, cr0
    mov [rm_cr0 - RM_BASE], eax
    or eax, 1
    mov cr0, eax
    jmp dword SEL_CODE32:back_in_pm
bits 32
back_in_pm:
    mov ax, SEL_DATA32
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esi, msg_real
    call puts
    mov eax, [rm_cr0]
    call hex32
    call newline
    mov esi, msg_pm_again
    call puts
    mov eax, cr0
    call hex32
    call newline

; ---- 32-bit paging: PD[0] -> page table (4 KiB pages, 0-4 MiB), PD[1] -> 4 MiB page at 0 ---
    mov edi, pt32
    mov eax, 0x003                      ; P | RW
    mov ecx, 1024
.fill_pt:
    stosd
    add eax, 0x1000
    loop .fill_pt
    mov dword [pd32], pt32 + 0x003
    mov dword [pd32 + 4], 0x00000083    ; 4 MiB page: P | RW | PS, frame 0
    mov eax, cr4
    or eax, 1 << 4                      ; PSE
    mov cr4, eax
    mov eax, pd32
    mov cr3, eax
    mov eax, cr0
    or eax, 1 << 31                     ; PG
    mov cr0, eax
    mov esi, msg_paging32
    call puts
    call print_crs32
    mov esi, msg_alias                  ; the same string through the 4 MiB alias
    add esi, 0x400000
    call puts

; ---- PAE paging: PDPT[0] -> PD, PD[0] -> 2 MiB page at 0 ------------------------------------
    mov eax, cr0
    and eax, ~(1 << 31)
    mov cr0, eax
    mov dword [pdpt_pae], pd_pae + 0x001   ; PDPTE: P only (bits 2:1 are reserved)
    mov dword [pd_pae], 0x00000083         ; 2 MiB page: P | RW | PS
    mov eax, cr4
    or eax, 1 << 5                      ; PAE
    mov cr4, eax
    mov eax, pdpt_pae
    mov cr3, eax
    mov eax, cr0
    or eax, 1 << 31
    mov cr0, eax
    mov esi, msg_pae
    call puts
    call print_crs32

; ---- long mode: PML4[0] -> PDPT -> PD, PD[0] -> 2 MiB page at 0 ------------------------------
    mov eax, cr0
    and eax, ~(1 << 31)
    mov cr0, eax
    mov dword [pml4], pdpt_lm + 0x003
    mov dword [pdpt_lm], pd_lm + 0x003
    mov dword [pd_lm], 0x00000083
    mov eax, cr4
    or eax, 1 << 7                      ; PGE
    mov cr4, eax
    mov eax, pml4
    mov cr3, eax
    mov ecx, 0xC0000080                 ; EFER
    rdmsr
    or eax, 1 << 8                      ; LME
    wrmsr
    mov eax, cr0
    or eax, 1 << 31                     ; PG: LMA becomes 1
    mov cr0, eax
    mov esi, msg_compat
    call puts
    call print_crs32
    jmp SEL_CODE64:long64

; ---- 32-bit helpers -------------------------------------------------------------------------
; print "CR0=........ CR3=........ CR4=........ EFER=........\n"
print_crs32:
    mov esi, msg_cr0
    call puts
    mov eax, cr0
    call hex32
    mov esi, msg_cr3
    call puts
    mov eax, cr3
    call hex32
    mov esi, msg_cr4
    call puts
    mov eax, cr4
    call hex32
    mov esi, msg_efer
    call puts
    mov ecx, 0xC0000080
    rdmsr
    call hex32
    jmp newline

%include "guests/lib/serial32.inc"         ; hex32, newline, puts, putc

; ---- 64-bit code ----------------------------------------------------------------------------
bits 64
long64:
    mov ax, SEL_DATA32
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, stack_top
    lea rsi, [rel msg_long64]
    call puts64
    lea rsi, [rel msg_cr0]
    call puts64
    mov rax, cr0
    call hex64
    lea rsi, [rel msg_cr3]
    call puts64
    mov rax, cr3
    call hex64
    lea rsi, [rel msg_cr4]
    call puts64
    mov rax, cr4
    call hex64
    lea rsi, [rel msg_efer]
    call puts64
    mov ecx, 0xC0000080
    rdmsr
    shl rdx, 32
    or rax, rdx
    call hex64
    mov al, 10
    call putc64
    lea rsi, [rel msg_done]
    call puts64
    mov dx, DEBUG_EXIT
    xor eax, eax
    out dx, al                          ; exit status (0 << 1) | 1 = 1
.hang:
    cli
    hlt
    jmp .hang

; rax -> 16 hex digits
hex64:
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
    ret

%include "guests/lib/serial64.inc"         ; puts64, putc64

; ---- data -----------------------------------------------------------------------------------
align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF               ; 0x08: flat 32-bit code
    dq 0x00CF92000000FFFF               ; 0x10: flat 32-bit data
    dq 0x000F9A0FFFF0FFFF               ; 0x18: 16-bit code, base 0xFFFF0, limit 0xFFFF
    dq 0x000092000000FFFF               ; 0x20: 16-bit data, base 0, limit 0xFFFF
    dq 0x00AF9A000000FFFF               ; 0x28: 64-bit code (L=1)
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd gdt

hex_digits:    db "0123456789ABCDEF"
msg_banner:    db "trapspec default guest", 10, 0
msg_magic:     db "multiboot: EAX=", 0
msg_mem_lower: db " mem_lower=", 0
msg_pm:        db "protected mode:     ", 0
msg_real:      db "real mode:          CR0=", 0
msg_pm_again:  db "protected mode:     CR0=", 0
msg_paging32:  db "32-bit paging:      ", 0
msg_alias:     db "32-bit paging:      read through a 4 MiB page at 0x400000", 10, 0
msg_pae:       db "PAE paging:         ", 0
msg_compat:    db "long mode (compat): ", 0
msg_long64:    db "64-bit mode:        ", 0
msg_cr0:       db "CR0=", 0
msg_cr3:       db " CR3=", 0
msg_cr4:       db " CR4=", 0
msg_efer:      db " EFER=", 0
msg_done:      db "done", 10, 0

align 4
boot_magic: dd 0
boot_info:  dd 0
rm_cr0:     dd 0
load_end:

section .bss align=4096
pd32:     resb 4096
pt32:     resb 4096
pdpt_pae: resb 4096
pd_pae:   resb 4096
pml4:     resb 4096
pdpt_lm:  resb 4096
pd_lm:    resb 4096
stack:    resb 4096
stack_top:
bss_end:
