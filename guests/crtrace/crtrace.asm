; trapspec crtrace guest: control-register accesses that fault and that apply, for the exit trace
; (--trace-exits, docs/debugging.md) and for the gdb stub's tests.
;
; A multiboot v1 kernel (flat binary with the a.out kludge) in 32-bit protected mode. Every
; access the rules reject raises its exception in the guest; the handlers (#UD, #GP, #PF) print
; the vector and resume at the address in [resume]. In order:
;   1. MOV CR0 with NW=1, CD=0                      -> #GP(0)  (R7)
;   2. MOV CR4 with reserved bit 31                 -> #GP(0)  (R47)
;   3. MOV CR0 with CD=1, NW=1, then CD=NW=0       -> applied (a CD change flushes the TLB)
;   4. WRMSR EFER with reserved bit 1               -> #GP(0)  (R64)
;   5. 32-bit paging: CR3, CR4.PSE, CR0.PG (one 4 MiB page maps 0-4 MiB)
;   6. a read at 0x800000 (not mapped)              -> #PF(0)  injected by the monitor
;   7. CLTS, SMSW, LMSW
;   8. the gdb probes at fixed addresses (the tests rely on them):
;        0x100400 gdb_loop    add ebx,1 / add edx,2 / dec ecx / jnz (5000 times, then 3 times)
;        0x100420 gdb_mark    reached with EAX = 12345678h, EBX = 5000, EDX = 10000
;        0x100800 watch_me    dword, written with 0CAFEh after the mark
;        0x100810 probe_data  "TRAPSPEC"
; then prints "crtrace done" and exits through 0xF4 with 0 (status 1).
;
; Build (from the repository root): scripts/build-guests.sh

bits 32
org 0x100000

MB_MAGIC   equ 0x1BADB002
MB_FLAGS   equ (1 << 16) | (1 << 1)     ; a.out kludge, memory information
COM1       equ 0x3F8
DEBUG_EXIT equ 0xF4

mb_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd mb_header                        ; header_addr
    dd mb_header                        ; load_addr
    dd load_end                         ; load_end_addr
    dd bss_end                          ; bss_end_addr
    dd start                            ; entry_addr

start:
    mov esp, stack_top
    lgdt [gdt_desc]
    jmp 0x08:.flat
.flat:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, ud_handler
    mov ebx, 6
    call set_gate
    mov eax, gp_handler
    mov ebx, 13
    call set_gate
    mov eax, pf_handler
    mov ebx, 14
    call set_gate
    lidt [idt_desc]

    ; 1. NW without CD
    mov dword [resume], .t2
    mov eax, cr0
    or eax, 0x20000000
    mov cr0, eax
.t2:
    ; 2. a reserved CR4 bit
    mov dword [resume], .t3
    mov eax, 0x80000000
    mov cr4, eax
.t3:
    ; 3. caches off and on again
    mov eax, cr0
    or eax, 0x60000000
    mov cr0, eax
    and eax, 0x9FFFFFFF
    mov cr0, eax
    ; 4. a reserved EFER bit
    mov dword [resume], .t5
    mov ecx, 0xC0000080
    xor edx, edx
    mov eax, 2
    wrmsr
.t5:
    ; 5. 32-bit paging with one 4 MiB page
    mov eax, page_dir
    mov cr3, eax
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    ; 6. a page fault the guest sees
    mov dword [resume], .t7
    mov eax, [0x800000]
.t7:
    ; 7. the machine status word
    clts
    smsw ax
    lmsw ax
    ; 8. the gdb probes
    xor ebx, ebx
    xor edx, edx
    mov ecx, 5000
    call gdb_loop
    mov eax, 0x12345678
    call gdb_mark
    mov dword [watch_me], 0xCAFE
    mov ecx, 3
    call gdb_loop

    mov esi, msg_done
    call puts
    mov al, 0
    out DEBUG_EXIT, al
    hlt

; eax = handler, ebx = vector: a 32-bit interrupt gate in the IDT
set_gate:
    mov [idt + ebx * 8], ax
    mov word [idt + ebx * 8 + 2], 0x08
    mov word [idt + ebx * 8 + 4], 0x8E00
    shr eax, 16
    mov [idt + ebx * 8 + 6], ax
    ret

ud_handler:
    push dword 6
    jmp fault_common
gp_handler:
    add esp, 4                          ; the error code
    push dword 13
    jmp fault_common
pf_handler:
    add esp, 4
    push dword 14
fault_common:
    mov esi, msg_fault
    call puts
    pop eax
    call hex32
    call newline
    mov eax, [resume]
    mov [esp], eax                      ; resume there (the frame's EIP)
    iret

%include "guests/lib/serial32.inc"

hex_digits: db "0123456789ABCDEF"
msg_fault:  db "crtrace: fault ", 0
msg_done:   db "crtrace done", 10, 0

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF               ; 0x08: flat 32-bit code
    dq 0x00CF92000000FFFF               ; 0x10: flat 32-bit data
gdt_desc:
    dw gdt_desc - gdt - 1
    dd gdt
idt_desc:
    dw 256 * 8 - 1
    dd idt
resume: dd 0

    times 0x400 - ($ - $$) db 0xCC
gdb_loop:                               ; 0x100400
    add ebx, 1
    add edx, 2                          ; 0x100403
    dec ecx
    jnz gdb_loop
    ret

    times 0x420 - ($ - $$) db 0xCC
gdb_mark:                               ; 0x100420
    nop
    ret

    times 0x800 - ($ - $$) db 0
watch_me:   dd 0                        ; 0x100800
    times 0x810 - ($ - $$) db 0
probe_data: db "TRAPSPEC"               ; 0x100810

align 4096
page_dir:
    dd 0x00000083                       ; 0-4 MiB: present, writable, 4 MiB page
    times 1023 dd 0
load_end:

section .bss align=4096
idt:      resb 256 * 8
stack:    resb 4096
stack_top:
bss_end:
