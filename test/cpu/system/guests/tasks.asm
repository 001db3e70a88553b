; System-side test guest: hardware task switches, with paging on.
;
; A multiboot v1 kernel (a.out kludge; expected-tasks.txt was recorded under
; `qemu-system-x86_64 -accel tcg -cpu max -kernel tasks.img`). It prints on COM1:
;   JMP to a TSS (task B: NT clear, no back link, CR0.TS set by the switch); JMP back;
;   CALL through a GDT task gate (B runs nested: NT, back link) and IRET back;
;   INT 0x50 through an IDT task gate and IRET back;
;   JMP to a 16-bit TSS and back (the 16-bit task's AX, saved in its TSS);
;   a #DF through an IDT task gate (a #GP whose IDT entry is empty) into a doublefault task
;   whose TSS has its own CR3: it reads linear 0x800000, which its page directory maps to a
;   different frame than the main one's, prints the error code and its back link, and exits.
; Under shadow paging the doublefault task's CR3 load is a guest CR3 write that switches the
; shadow root: the value it reads at 0x800000 shows it.
;
; Build (from the repository root): nasm -f bin -o test/cpu/system/guests/tasks.img test/cpu/system/guests/tasks.asm

bits 32
org 0x100000
%define ABS(x) ((x) - $$ + 0x100000)

MB_MAGIC   equ 0x1BADB002
MB_FLAGS   equ (1 << 16)
COM1       equ 0x3F8
DEBUG_EXIT equ 0xF4

K_CODE32 equ 0x08
K_DATA32 equ 0x10
TSS_MAIN equ 0x28
TSS_B    equ 0x30
TSS_DF   equ 0x38
GATE_B   equ 0x40
TSS_16   equ 0x48
CODE16   equ 0x50

PD1      equ 0x400000                   ; main page directory (4 MiB pages, identity 0-16 MiB)
PD2      equ 0x401000                   ; the doublefault task's: the same, but 8 MiB -> 12 MiB
PROBE    equ 0x800000
CODE16_AT equ 0x7000                    ; the 16-bit task's code (copied below 64 KiB)

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

; edi = vector, eax = TSS selector: a task gate (DPL 0, present)
set_task_gate:
    lea edi, [idt + edi * 8]
    mov word [edi], 0
    mov [edi + 2], ax
    mov word [edi + 4], 0x8500
    mov word [edi + 6], 0
    ret

start:
    mov esp, stack_main
    lgdt [gdt_desc]
    jmp K_CODE32:.flat
.flat:
    mov ax, K_DATA32
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    PRINT msg_hello
    ; Page directories: identity 4 MiB pages; PD2 maps PROBE to 12 MiB instead.
    mov edi, PD1
    mov ecx, 2 * 1024
    xor eax, eax
    rep stosd
    xor ebx, ebx
.pde:
    mov eax, ebx
    shl eax, 22
    or eax, 0x83                        ; P, W, PS
    mov [PD1 + ebx * 4], eax
    mov [PD2 + ebx * 4], eax
    inc ebx
    cmp ebx, 4
    jne .pde
    mov dword [PD2 + (PROBE >> 22) * 4], (12 << 20) | 0x83
    mov dword [PROBE], 0x11111111       ; seen through PD1
    mov dword [12 << 20], 0x22222222    ; seen through PD2 at PROBE
    mov eax, cr4
    or eax, 0x10                        ; PSE
    mov cr4, eax
    mov eax, PD1
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    ; TSSes: B (32-bit), the doublefault task (CR3 = PD2), the 16-bit task.
    mov dword [tss_main + 0x1c], PD1     ; a switch never saves CR3: the OS fills it in
    mov dword [tss_b + 0x1c], PD1
    mov dword [tss_b + 0x20], task_b
    mov dword [tss_b + 0x24], 0x2
    mov dword [tss_b + 0x38], stack_b
    mov dword [tss_df + 0x1c], PD2
    mov dword [tss_df + 0x20], task_df
    mov dword [tss_df + 0x24], 0x2
    mov dword [tss_df + 0x38], stack_df
    mov eax, K_DATA32
    mov ecx, 6
    xor edi, edi
.segs:
    mov [tss_b + 0x48 + edi * 4], eax
    mov [tss_df + 0x48 + edi * 4], eax
    inc edi
    loop .segs
    mov dword [tss_b + 0x4c], K_CODE32
    mov dword [tss_df + 0x4c], K_CODE32
    mov word [tss_16 + 0x0e], CODE16_AT ; IP
    mov word [tss_16 + 0x10], 0x2       ; FLAGS
    mov word [tss_16 + 0x1a], 0x6ff0    ; SP
    mov word [tss_16 + 0x22], K_DATA32  ; ES
    mov word [tss_16 + 0x24], CODE16    ; CS
    mov word [tss_16 + 0x26], K_DATA32  ; SS
    mov word [tss_16 + 0x28], K_DATA32  ; DS
    mov esi, code16
    mov edi, CODE16_AT
    mov ecx, code16_end - code16
    rep movsb
    mov ax, TSS_MAIN
    ltr ax
    mov edi, 0x50
    mov eax, TSS_B
    call set_task_gate
    mov edi, 8
    mov eax, TSS_DF
    call set_task_gate
    lidt [idt_desc]

    ; 1. JMP to a TSS.
    clts
    jmp TSS_B:0
    PRINT msg_back_jmp
    mov eax, cr0
    and eax, 8
    HEX eax
    call newline
    ; 2. CALL through a task gate, IRET back.
    clts
    call GATE_B:0
    PRINT msg_back_call
    pushfd
    pop eax
    and eax, 0x4000
    HEX eax
    PRINT msg_busy
    HEX [gdt + TSS_B + 4]
    call newline
    ; 3. INT 0x50 through an IDT task gate, IRET back.
    int 0x50
    PRINT msg_back_int
    ; 4. JMP to a 16-bit TSS and back.
    jmp TSS_16:0
    PRINT msg_back_16
    movzx eax, word [tss_16 + 0x12]
    HEX eax
    PRINT msg_busy
    HEX [gdt + TSS_16 + 4]
    call newline
    ; 5. #GP whose IDT entry is empty -> #GP delivering it -> #DF through the task gate.
    mov ax, 0x1233
fault_eip:
    mov ds, ax
    PRINT msg_not_reached
    jmp exit

; Task B: reports, JMPs back the first time, IRETs back after.
task_b:
    call report_b
    jmp TSS_MAIN:0
.again:
    call report_b
    iret
    jmp .again

report_b:
    PRINT msg_b_nt
    pushfd
    pop eax
    and eax, 0x4000
    HEX eax
    PRINT msg_link
    movzx eax, word [tss_b]
    HEX eax
    PRINT msg_tr
    str ax
    movzx eax, ax
    HEX eax
    PRINT msg_ts
    mov eax, cr0
    and eax, 8
    HEX eax
    call newline
    ret

; The doublefault task.
task_df:
    PRINT msg_df
    pop eax                             ; the error code
    HEX eax
    PRINT msg_cr3
    mov eax, cr3
    HEX eax
    PRINT msg_probe
    HEX [PROBE]
    PRINT msg_link
    movzx eax, word [tss_df]
    HEX eax
    PRINT msg_saved_eip
    mov eax, [tss_main + 0x20]
    sub eax, fault_eip
    HEX eax
    call newline
exit:
    PRINT msg_done
    mov al, 0
    out DEBUG_EXIT, al
    cli
    hlt

%include "guests/lib/serial32.inc"         ; hex32, newline, puts, putc

; The 16-bit task's code (copied to CODE16_AT; CS base 0).
code16:
bits 16
    mov ax, 0x1616
    jmp TSS_MAIN:0
bits 32
code16_end:

; ---- data -----------------------------------------------------------------------------------
align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF               ; 0x08 code32
    dq 0x00CF92000000FFFF               ; 0x10 data32
    dq 0
    dq 0
%macro TSSDESC 3                        ; base, limit, type byte
    dw %2, (%1) & 0xFFFF
    db ((%1) >> 16) & 0xFF, %3, 0, ((%1) >> 24) & 0xFF
%endmacro
    TSSDESC ABS(tss_main), 0x67, 0x89        ; 0x28
    TSSDESC ABS(tss_b), 0x67, 0x89           ; 0x30
    TSSDESC ABS(tss_df), 0x67, 0x89          ; 0x38
    dw 0, TSS_B, 0x8500, 0              ; 0x40 task gate -> B
    TSSDESC ABS(tss_16), 0x2b, 0x81          ; 0x48 16-bit TSS
    dq 0x00009A000000FFFF               ; 0x50 code16, base 0, 64 KiB
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd gdt
idt_desc:
    dw 256 * 8 - 1
    dd idt

hex_digits:      db "0123456789ABCDEF"
msg_hello:       db "tasks: start", 10, 0
msg_b_nt:        db "task B: nt=", 0
msg_link:        db " link=", 0
msg_tr:          db " tr=", 0
msg_ts:          db " cr0.ts=", 0
msg_back_jmp:    db "main after JMP: cr0.ts=", 0
msg_back_call:   db "main after CALL/IRET: nt=", 0
msg_busy:        db " desc=", 0
msg_back_int:    db "main after INT 0x50/IRET", 10, 0
msg_back_16:     db "main after 16-bit task: ax=", 0
msg_df:          db "#DF task: err=", 0
msg_cr3:         db " cr3=", 0
msg_probe:       db " [0x800000]=", 0
msg_saved_eip:   db " saved-eip-delta=", 0
msg_not_reached: db "not reached", 10, 0
msg_done:        db "tasks: done", 10, 0

align 16
tss_main:   times 0x68 db 0
tss_b:      times 0x68 db 0
tss_df:     times 0x68 db 0
tss_16:     times 0x2c db 0
load_end:

section .bss align=4096
idt:     resb 256 * 8
alignb 16
         resb 4096
stack_main:
         resb 4096
stack_b:
         resb 4096
stack_df:
bss_end:
