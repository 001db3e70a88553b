; Test guest: the CR0 x87 bits as a kernel meets them, run through the loader and the trap
; monitor (test/cpu/fpu/lazy-fpu.test.ts). A flat binary loaded at 0000:7C00 (real mode).
;  R  real mode, CR0.EM=1: FLD1 raises #NM through the IVT; the handler clears EM and returns,
;     FLD1 runs again; FISTP prints 1.
;  N  protected mode, CR0.TS=1 (lazy FPU switching as Linux does it): FNINIT raises #NM, the
;     handler does CLTS (an exit the monitor decides through spec/rules/cr0.rules) and IRETs;
;     1+1+1+1 prints 4.
;  N  FNSAVE, TS set again (a "context switch"), FRSTOR raises #NM, CLTS, FRSTOR restores π:
;     FISTP prints 3.
;  M  CR0.NE=1: 1/0 with ZE unmasked is pending; FWAIT raises #MF; the handler FNCLEXes.
; Output "R1N4N3M\n", then exit through port 0xF4 (status 0x55).
bits 16
org 0x7C00
start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    mov word [7*4], rm_nm
    mov word [7*4+2], 0
    mov eax, cr0
    or al, 4                    ; EM
    mov cr0, eax
    fld1                        ; #NM
    fistp word [val]
    mov al, [val]
    add al, '0'
    out 0xE9, al
    lgdt [gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp 0x08:pm

rm_nm:
    mov al, 'R'
    out 0xE9, al
    mov eax, cr0
    and al, ~4
    mov cr0, eax
    iret

bits 32
pm:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x7000
    ; IDT: #NM (7) and #MF (16), 32-bit interrupt gates
    mov eax, pm_nm
    mov [idt + 7*8], ax
    shr eax, 16
    mov [idt + 7*8 + 6], ax
    mov eax, pm_mf
    mov [idt + 16*8], ax
    shr eax, 16
    mov [idt + 16*8 + 6], ax
    lidt [idtr]
    mov eax, cr0
    or eax, 0x2A                ; MP, TS, NE
    mov cr0, eax
    fninit                      ; #NM, CLTS
    fld1
    fadd st0, st0
    fadd st0, st0
    fistp dword [val]
    mov al, [val]
    add al, '0'
    out 0xE9, al
    fldpi
    fnsave [fpubuf]
    mov eax, cr0
    or al, 8                    ; TS
    mov cr0, eax
    frstor [fpubuf]             ; #NM, CLTS
    fistp dword [val]
    mov al, [val]
    add al, '0'
    out 0xE9, al
    fldcw [cw]                  ; ZE unmasked
    fldz
    fld1
    fdivrp st1, st0             ; 1/0: pending
    fwait                       ; #MF
    mov al, 10
    out 0xE9, al
    mov al, 0x2A
    out 0xF4, al
    hlt

pm_nm:
    push eax
    mov al, 'N'
    out 0xE9, al
    pop eax
    clts
    iretd

pm_mf:
    push eax
    mov al, 'M'
    out 0xE9, al
    fnclex
    pop eax
    iretd

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF       ; 0x08 code 32
    dq 0x00CF92000000FFFF       ; 0x10 data 32
gdtr:
    dw gdtr - gdt - 1
    dd gdt
idtr:
    dw 17*8 - 1
    dd idt
cw: dw 0x037B
val: dd 0
align 8
idt:
    times 17 dq 0x00008E0000080000  ; present 32-bit interrupt gates, selector 0x08 (offsets filled in)
fpubuf: times 108 db 0
