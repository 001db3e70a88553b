; trapspec benchmark guest (issue 7).
;
; A multiboot v1 kernel (flat binary with the a.out kludge: `qemu-system-x86_64 -kernel`, v86's
; multiboot loader and `trapspec run` all load it) that runs timed phases and prints, on COM1,
; one line when a phase starts and one when it ends:
;     phase alu start
;     phase alu end insns=8000000 check=1A2B3C4D
; The counts are computed in the guest (instructions per iteration x iterations, or the #PF
; handler's own count), never measured, so the output is the same on every machine and peer;
; the host timestamps the lines as they arrive.
;
; Phases, in this order (each can be deselected):
;   alu    register-only loop, paging off                                  8 insns / iteration
;   mem    read-modify-write over a 4 MiB buffer, 32-bit paging, 4 KiB pages 4194307 insns / pass
;   cr3    mov cr3 (same directory), then loads from 16 different pages    19 insns / iteration
;   pf     demand paging: each iteration touches a fresh page, the #PF handler installs it
;          (and the page table when the directory entry is missing)        1 fault / iteration
;   crmix  mov cr0 (TS=1), clts, mov cr4 (PGE=1), mov cr4 (PGE=0), mov from cr3   7 / iteration
;   mem64  mem in long mode (4-level paging, 4 KiB pages)                  4194307 insns / pass
;   cr364  cr3 in long mode                                                19 insns / iteration
;
; Command line (multiboot cmdline; unknown words are ignored, so QEMU's leading image path is
; harmless): `alu=N mem=N cr3=N pf=N crmix=N mem64=N cr364=N repeat=R phases=alu,mem,...`.
; repeat=R runs each phase R times in a row, each with its own start and end lines (the host
; can then time a phase with the peer's JIT compilers already warm).
; The run ends with the line "bench done" and a write of 0 to the debug-exit port 0xF4
; (exit status 1); an unexpected exception prints "bench exception NN" and writes 3 (status 7).
;
; Build: nasm -f bin -o bench.img bench.asm   (guests/bench/build.sh)

bits 32
org 0x100000

MB_MAGIC    equ 0x1BADB002
MB_FLAGS    equ (1 << 16) | (1 << 1)    ; a.out kludge, memory information
COM1        equ 0x3F8
DEBUG_EXIT  equ 0xF4

SEL_CODE32  equ 0x08
SEL_DATA32  equ 0x10
SEL_CODE64  equ 0x18

; Physical layout (all below 32 MiB, which both paging setups identity-map with 4 KiB pages).
PD32        equ 0x00200000              ; 32-bit page directory
PT32        equ 0x00201000              ; 8 page tables: identity 0..32 MiB
PML4        equ 0x00210000
PDPT64      equ 0x00211000
PD64        equ 0x00212000
PT64        equ 0x00213000              ; 16 page tables: identity 0..32 MiB
MEM_BUF     equ 0x00800000              ; mem/mem64 buffer, 4 MiB
MEM_SIZE    equ 0x00400000
CR3_PAGES   equ 0x00C00000              ; cr3/cr364: 16 pages read each iteration
PF_FRAMES   equ 0x01000000              ; pf: 1024 data frames, reused round-robin
PF_NFRAMES  equ 1024
PF_PTPOOL   equ 0x01400000              ; pf: page tables for the demand region (256 x 4 KiB)
PF_VBASE    equ 0x40000000              ; pf: demand-paged virtual region (directory entries
PF_VEND     equ 0x80000000              ;     256..511), reset when exhausted
IDENT_PTS32 equ 8
IDENT_PTS64 equ 16

CR0_PG      equ 0x80000000
CR0_TS      equ 0x00000008
CR4_PAE     equ 0x00000020
CR4_PGE     equ 0x00000080
EFER        equ 0xC0000080
EFER_LME    equ 0x00000100

MEM_PASS_INSNS equ 1 + 4 * (MEM_SIZE / 4) + 2   ; mov esi / 4 per dword / dec, jnz
ALU_ITER_INSNS equ 8
CR3_ITER_INSNS equ 19
CRMIX_ITER_INSNS equ 7

P_ALU   equ 1 << 0
P_MEM   equ 1 << 1
P_CR3   equ 1 << 2
P_PF    equ 1 << 3
P_CRMIX equ 1 << 4
P_MEM64 equ 1 << 5
P_CR364 equ 1 << 6
P_ALL   equ 0x7F

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
    lgdt [gdt_desc]
    jmp SEL_CODE32:.flat
.flat:
    mov cx, SEL_DATA32
    mov ds, cx
    mov es, cx
    mov fs, cx
    mov gs, cx
    mov ss, cx
    cld
    cmp eax, 0x2BADB002
    jne .no_cmdline
    test byte [ebx], 1 << 2             ; multiboot info flags: cmdline valid
    jz .no_cmdline
    mov esi, [ebx + 16]
    call parse_cmdline
.no_cmdline:
    call setup_idt
    call print_params

; ---- alu: paging off ------------------------------------------------------------------------
    test byte [phase_mask], P_ALU
    jz .after_alu
    call repeat_begin
.alu_again:
    mov edi, k_alu
    call phase_start
    mov ecx, [n_alu]
    mov eax, 1
    mov ebx, 0x9E3779B9
    xor edx, edx
    xor edi, edi
    test ecx, ecx
    jz .alu_done
.alu_loop:                              ; ALU_ITER_INSNS = 8
    add eax, ebx
    xor edx, eax
    rol edx, 5
    sub ebx, edx
    lea eax, [eax + edx * 2 + 7]
    add edi, eax
    dec ecx
    jnz .alu_loop
.alu_done:
    xor edi, eax
    mov [alu_check], edi
    mov edi, k_alu
    mov eax, [n_alu]
    mov ecx, ALU_ITER_INSNS
    mul ecx
    call phase_end_insns
    mov esi, s_check
    call puts
    mov eax, [alu_check]
    call hex32
    call newline
    dec dword [rep_left]
    jnz .alu_again
.after_alu:

; ---- 32-bit paging: identity 0..32 MiB with 4 KiB pages --------------------------------------
    test byte [phase_mask], P_MEM | P_CR3 | P_PF | P_CRMIX
    jz .after_paging32
    mov edi, PD32
    xor eax, eax
    mov ecx, 1024
    rep stosd
    mov edi, PT32
    mov eax, 0x003                      ; P | RW
    mov ecx, IDENT_PTS32 * 1024
.fill_pt32:
    stosd
    add eax, 0x1000
    dec ecx
    jnz .fill_pt32
    mov edi, PD32
    mov eax, PT32 + 0x003
    mov ecx, IDENT_PTS32
.fill_pd32:
    stosd
    add eax, 0x1000
    dec ecx
    jnz .fill_pd32
    mov eax, PD32
    mov cr3, eax
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax

; ---- mem ------------------------------------------------------------------------------------
    test byte [phase_mask], P_MEM
    jz .after_mem
    call repeat_begin
.mem_again:
    mov edi, k_mem
    call phase_start
    mov ebp, [n_mem]
    mov eax, 0x01010101
    test ebp, ebp
    jz .mem_done
.mem_pass:
    mov esi, MEM_BUF
.mem_loop:
    add [esi], eax
    add esi, 4
    cmp esi, MEM_BUF + MEM_SIZE
    jb .mem_loop
    dec ebp
    jnz .mem_pass
.mem_done:
    mov edi, k_mem
    mov eax, [n_mem]
    mov ecx, MEM_PASS_INSNS
    mul ecx
    call phase_end_insns
    call newline
    dec dword [rep_left]
    jnz .mem_again
.after_mem:

; ---- cr3 ------------------------------------------------------------------------------------
    test byte [phase_mask], P_CR3
    jz .after_cr3
    call repeat_begin
.cr3_again:
    mov edi, k_cr3
    call phase_start
    mov ecx, [n_cr3]
    mov ebx, PD32
    mov esi, CR3_PAGES
    test ecx, ecx
    jz .cr3_done
.cr3_loop:                              ; CR3_ITER_INSNS = 19
    mov cr3, ebx
%assign i 0
%rep 16
    mov eax, [esi + i * 4096]
%assign i i + 1
%endrep
    dec ecx
    jnz .cr3_loop
.cr3_done:
    mov edi, k_cr3
    mov eax, [n_cr3]
    mov ecx, CR3_ITER_INSNS
    mul ecx
    call phase_end_insns
    call newline
    dec dword [rep_left]
    jnz .cr3_again
.after_cr3:

; ---- pf -------------------------------------------------------------------------------------
    test byte [phase_mask], P_PF
    jz .after_pf
    call repeat_begin
.pf_again:
    call pf_reset                       ; fresh demand region for every repetition
    mov edi, k_pf
    call phase_start
    mov dword [pf_count], 0
    mov byte [pf_active], 1
    mov ecx, [n_pf]
    mov edi, PF_VBASE
    test ecx, ecx
    jz .pf_done
.pf_loop:
    mov [edi], edi                      ; not present: #PF, the handler maps it, the store retries
    add edi, 4096
    cmp edi, PF_VEND
    jb .pf_next
    call pf_reset
    mov edi, PF_VBASE
.pf_next:
    dec ecx
    jnz .pf_loop
.pf_done:
    mov byte [pf_active], 0
    mov esi, s_phase
    call puts
    mov esi, k_pf
    call puts
    mov esi, s_end_faults
    call puts
    mov eax, [pf_count]
    xor edx, edx
    call print_u64
    call newline
    dec dword [rep_left]
    jnz .pf_again
.after_pf:

; ---- crmix ----------------------------------------------------------------------------------
    test byte [phase_mask], P_CRMIX
    jz .after_crmix
    call repeat_begin
.crmix_again:
    mov edi, k_crmix
    call phase_start
    mov ebx, cr0
    or ebx, CR0_TS
    mov edi, cr4
    and edi, ~CR4_PGE
    mov esi, edi
    or esi, CR4_PGE
    mov ecx, [n_crmix]
    test ecx, ecx
    jz .crmix_done
.crmix_loop:                            ; CRMIX_ITER_INSNS = 7
    mov cr0, ebx
    clts
    mov cr4, esi
    mov cr4, edi
    mov eax, cr3
    dec ecx
    jnz .crmix_loop
.crmix_done:
    mov edi, k_crmix
    mov eax, [n_crmix]
    mov ecx, CRMIX_ITER_INSNS
    mul ecx
    call phase_end_insns
    call newline
    dec dword [rep_left]
    jnz .crmix_again
.after_crmix:

    mov eax, cr0
    and eax, ~CR0_PG
    mov cr0, eax
.after_paging32:

; ---- long mode: identity 0..32 MiB with 4 KiB pages, 4 levels ---------------------------------
    test byte [phase_mask], P_MEM64 | P_CR364
    jz finish32
    mov edi, PML4
    xor eax, eax
    mov ecx, 3 * 1024                   ; PML4, PDPT, PD
    rep stosd
    mov dword [PML4], PDPT64 + 0x003
    mov dword [PDPT64], PD64 + 0x003
    mov edi, PD64
    mov eax, PT64 + 0x003
    mov ecx, IDENT_PTS64
.fill_pd64:
    mov [edi], eax
    mov dword [edi + 4], 0
    add edi, 8
    add eax, 0x1000
    dec ecx
    jnz .fill_pd64
    mov edi, PT64
    mov eax, 0x003
    mov ecx, IDENT_PTS64 * 512
.fill_pt64:
    mov [edi], eax
    mov dword [edi + 4], 0
    add edi, 8
    add eax, 0x1000
    dec ecx
    jnz .fill_pt64
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, PML4
    mov cr3, eax
    mov ecx, EFER
    rdmsr
    or eax, EFER_LME
    wrmsr
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax
    jmp SEL_CODE64:long64

finish32:
    mov esi, s_done
    call puts
    mov dx, DEBUG_EXIT
    xor eax, eax
    out dx, al
.hang:
    cli
    hlt
    jmp .hang

; ---- #PF handler (pf phase) and the demand region ---------------------------------------------
pf_handler:
    cmp byte [pf_active], 0
    je .unexpected
    push eax
    push ebx
    push ecx
    push edx
    push edi
    mov eax, cr2
    cmp eax, PF_VBASE
    jb .bad
    cmp eax, PF_VEND
    jae .bad
    mov ebx, eax
    shr ebx, 22
    mov edx, [PD32 + ebx * 4]
    test dl, 1
    jnz .have_pt
    mov edx, [pf_pt_next]               ; no page table yet: take a zeroed one from the pool
    add dword [pf_pt_next], 4096
    mov edi, edx
    xor eax, eax
    mov ecx, 1024
    rep stosd
    or edx, 0x003
    mov [PD32 + ebx * 4], edx
    mov eax, cr2
.have_pt:
    and edx, 0xFFFFF000
    shr eax, 12
    and eax, 0x3FF
    mov ebx, [pf_count]
    and ebx, PF_NFRAMES - 1
    shl ebx, 12
    add ebx, PF_FRAMES + 0x003
    mov [edx + eax * 4], ebx
    inc dword [pf_count]
    pop edi
    pop edx
    pop ecx
    pop ebx
    pop eax
    add esp, 4                          ; error code
    iretd
.bad:
    pop edi
    pop edx
    pop ecx
    pop ebx
    pop eax
.unexpected:
    push dword 14
    jmp exc_common

; The demand region is used up: drop its directory entries and page tables, flush.
pf_reset:
    push eax
    push ecx
    push edi
    mov edi, PD32 + (PF_VBASE >> 22) * 4
    mov ecx, (PF_VEND - PF_VBASE) >> 22
    xor eax, eax
    rep stosd
    mov dword [pf_pt_next], PF_PTPOOL
    mov eax, cr3
    mov cr3, eax
    pop edi
    pop ecx
    pop eax
    ret

; ---- unexpected exceptions: print the vector, exit with 3 ------------------------------------
%assign v 0
%rep 32
isr_ %+ v:
    push dword v
    jmp exc_common
%assign v v + 1
%endrep

exc_common:
    mov esi, s_exception
    call puts
    pop eax
    xor edx, edx
    call print_u64
    call newline
    mov dx, DEBUG_EXIT
    mov al, 3
    out dx, al
.hang:
    cli
    hlt
    jmp .hang

setup_idt:
    xor ecx, ecx
.entry:
    mov eax, [isr_table + ecx * 4]
    cmp ecx, 14
    jne .gate
    mov eax, pf_handler
.gate:
    mov edx, eax
    and eax, 0x0000FFFF
    or eax, SEL_CODE32 << 16
    and edx, 0xFFFF0000
    or edx, 0x8E00                      ; present, DPL 0, 32-bit interrupt gate
    mov [idt + ecx * 8], eax
    mov [idt + ecx * 8 + 4], edx
    inc ecx
    cmp ecx, 32
    jb .entry
    lidt [idt_desc]
    ret

; rep_left = repeat count (0 counts as 1). Clobbers eax.
repeat_begin:
    mov eax, [n_repeat]
    test eax, eax
    jnz .set
    inc eax
.set:
    mov [rep_left], eax
    ret

; ---- command line ---------------------------------------------------------------------------
; esi -> NUL-terminated command line
parse_cmdline:
.token:
    mov al, [esi]
    test al, al
    jz .done
    cmp al, ' '
    jne .word
    inc esi
    jmp .token
.word:
    mov edi, k_phases
    call match_prefix
    jc .keys
    cmp byte [eax], '='
    jne .keys
    lea esi, [eax + 1]
    call parse_phases
    jmp .token
.keys:
    mov edi, k_repeat
    call match_prefix
    jc .table_keys
    cmp byte [eax], '='
    jne .table_keys
    lea esi, [eax + 1]
    call parse_decimal
    mov [n_repeat], eax
    jmp .token
.table_keys:
    mov ebx, phase_table
.key:
    mov edi, [ebx]
    test edi, edi
    jz .skip
    call match_prefix
    jc .next_key
    cmp byte [eax], '='
    jne .next_key
    lea esi, [eax + 1]
    call parse_decimal
    mov edx, [ebx + 4]
    mov [edx], eax
    jmp .token
.next_key:
    add ebx, 12
    jmp .key
.skip:                                  ; unknown word: skip to the next space
    mov al, [esi]
    test al, al
    jz .done
    cmp al, ' '
    je .token
    inc esi
    jmp .skip
.done:
    ret

; esi -> text, edi -> NUL-terminated name. CF=0 and eax -> the text after the name when the
; text starts with the name; CF=1 otherwise. esi, edi unchanged.
match_prefix:
    push esi
    push edi
.char:
    mov al, [edi]
    test al, al
    jz .yes
    cmp al, [esi]
    jne .no
    inc esi
    inc edi
    jmp .char
.yes:
    mov eax, esi
    pop edi
    pop esi
    clc
    ret
.no:
    pop edi
    pop esi
    stc
    ret

; esi -> decimal digits; eax = value, esi -> after them
parse_decimal:
    xor eax, eax
.digit:
    movzx edx, byte [esi]
    sub edx, '0'
    cmp edx, 9
    ja .done
    imul eax, eax, 10
    add eax, edx
    inc esi
    jmp .digit
.done:
    ret

; esi -> "name,name,..." ; sets phase_mask, esi -> after the list
parse_phases:
    mov dword [phase_mask], 0
.name:
    mov ebx, phase_table
.try:
    mov edi, [ebx]
    test edi, edi
    jz .unknown
    call match_prefix
    jc .next
    mov dl, [eax]
    cmp dl, ','
    je .found
    cmp dl, ' '
    je .found
    test dl, dl
    je .found
.next:
    add ebx, 12
    jmp .try
.found:
    mov edx, [ebx + 8]
    or [phase_mask], edx
    mov esi, eax
    jmp .sep
.unknown:                               ; skip an unknown name
    mov dl, [esi]
    test dl, dl
    jz .done
    cmp dl, ' '
    je .done
    cmp dl, ','
    je .sep
    inc esi
    jmp .unknown
.sep:
    cmp byte [esi], ','
    jne .done
    inc esi
    jmp .name
.done:
    ret

; "bench alu=N mem=N ... phases=a,b,...\n"
print_params:
    mov esi, s_bench
    call puts
    mov ebx, phase_table
.param:
    mov edi, [ebx]
    test edi, edi
    jz .phases
    mov al, ' '
    call putc
    mov esi, edi
    call puts
    mov al, '='
    call putc
    mov edx, [ebx + 4]
    mov eax, [edx]
    xor edx, edx
    call print_u64
    add ebx, 12
    jmp .param
.phases:
    mov esi, s_repeat
    call puts
    mov eax, [n_repeat]
    xor edx, edx
    call print_u64
    mov esi, s_phases
    call puts
    mov ebx, phase_table
    xor ecx, ecx                        ; names printed so far
.phase:
    mov edi, [ebx]
    test edi, edi
    jz .end
    mov eax, [ebx + 8]
    test [phase_mask], eax
    jz .next
    test ecx, ecx
    jz .first
    mov al, ','
    call putc
.first:
    mov esi, edi
    call puts
    inc ecx
.next:
    add ebx, 12
    jmp .phase
.end:
    jmp newline

; ---- 32-bit output --------------------------------------------------------------------------
; edi -> phase name: "phase NAME start\n"
phase_start:
    mov esi, s_phase
    call puts
    mov esi, edi
    call puts
    mov esi, s_start
    call puts
    ret

; edi -> phase name, edx:eax = instructions: "phase NAME end insns=N" (no newline)
phase_end_insns:
    mov esi, s_phase
    call puts
    mov esi, edi
    call puts
    mov esi, s_end_insns
    call puts
    jmp print_u64

; edx:eax -> decimal
print_u64:
    push eax
    push ebx
    push ecx
    push edx
    push esi
    push edi
    mov esi, edx                        ; high half
    mov edi, eax                        ; low half
    mov ebx, numbuf_end
    mov ecx, 10
.digit:
    xor edx, edx
    mov eax, esi
    div ecx
    mov esi, eax
    mov eax, edi
    div ecx
    mov edi, eax
    add dl, '0'
    dec ebx
    mov [ebx], dl
    mov eax, esi
    or eax, edi
    jnz .digit
    mov esi, ebx
    call puts
    pop edi
    pop esi
    pop edx
    pop ecx
    pop ebx
    pop eax
    ret

; eax -> 8 hex digits
hex32:
    push eax
    push ecx
    mov ecx, 8
.digit:
    rol eax, 4
    push eax
    and eax, 0xF
    mov al, [hex_digits + eax]
    call putc
    pop eax
    dec ecx
    jnz .digit
    pop ecx
    pop eax
    ret

newline:
    push eax
    mov al, 10
    call putc
    pop eax
    ret

; esi -> NUL-terminated string (esi is left after it)
puts:
    push eax
.char:
    lodsb
    test al, al
    jz .done
    call putc
    jmp .char
.done:
    pop eax
    ret

; al -> COM1, after waiting for the transmitter to be empty
putc:
    push edx
    push eax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, COM1
    out dx, al
    pop edx
    ret

; ---- 64-bit code ----------------------------------------------------------------------------
bits 64
long64:
    mov ax, SEL_DATA32
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, stack_top

; ---- mem64 ----------------------------------------------------------------------------------
    test byte [phase_mask], P_MEM64
    jz .after_mem64
    call repeat_begin64
.mem64_again:
    mov rdi, k_mem64
    call phase_start64
    mov ebp, [n_mem64]
    mov eax, 0x01010101
    test ebp, ebp
    jz .mem64_done
.mem64_pass:
    mov esi, MEM_BUF
.mem64_loop:
    add [rsi], eax
    add rsi, 4
    cmp rsi, MEM_BUF + MEM_SIZE
    jb .mem64_loop
    dec ebp
    jnz .mem64_pass
.mem64_done:
    mov rdi, k_mem64
    mov eax, [n_mem64]
    imul rax, rax, MEM_PASS_INSNS
    call phase_end64
    dec dword [rep_left]
    jnz .mem64_again
.after_mem64:

; ---- cr364 ----------------------------------------------------------------------------------
    test byte [phase_mask], P_CR364
    jz .after_cr364
    call repeat_begin64
.cr364_again:
    mov rdi, k_cr364
    call phase_start64
    mov ecx, [n_cr364]
    mov rbx, cr3
    mov esi, CR3_PAGES
    test ecx, ecx
    jz .cr364_done
.cr364_loop:                            ; CR3_ITER_INSNS = 19
    mov cr3, rbx
%assign i 0
%rep 16
    mov eax, [rsi + i * 4096]
%assign i i + 1
%endrep
    dec ecx
    jnz .cr364_loop
.cr364_done:
    mov rdi, k_cr364
    mov eax, [n_cr364]
    imul rax, rax, CR3_ITER_INSNS
    call phase_end64
    dec dword [rep_left]
    jnz .cr364_again
.after_cr364:

    mov rsi, s_done
    call puts64
    mov dx, DEBUG_EXIT
    xor eax, eax
    out dx, al
.hang:
    cli
    hlt
    jmp .hang

; rep_left = repeat count (0 counts as 1). Clobbers eax.
repeat_begin64:
    mov eax, [n_repeat]
    test eax, eax
    jnz .set
    inc eax
.set:
    mov [rep_left], eax
    ret

; rdi -> phase name
phase_start64:
    mov rsi, s_phase
    call puts64
    mov rsi, rdi
    call puts64
    mov rsi, s_start
    jmp puts64

; rdi -> phase name, rax = instructions: "phase NAME end insns=N\n"
phase_end64:
    push rax
    mov rsi, s_phase
    call puts64
    mov rsi, rdi
    call puts64
    mov rsi, s_end_insns
    call puts64
    pop rax
    mov rdi, numbuf_end
    mov ecx, 10
.digit:
    xor edx, edx
    div rcx
    add dl, '0'
    dec rdi
    mov [rdi], dl
    test rax, rax
    jnz .digit
    mov rsi, rdi
    call puts64
    mov al, 10
    jmp putc64

puts64:
    lodsb
    test al, al
    jz .done
    call putc64
    jmp puts64
.done:
    ret

putc64:
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

; ---- data -----------------------------------------------------------------------------------
align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF               ; 0x08: flat 32-bit code
    dq 0x00CF92000000FFFF               ; 0x10: flat 32-bit data
    dq 0x00AF9A000000FFFF               ; 0x18: 64-bit code (L=1)
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd gdt

align 8
idt_desc:
    dw 32 * 8 - 1
    dd idt

isr_table:
%assign v 0
%rep 32
    dd isr_ %+ v
%assign v v + 1
%endrep

; name, iteration count, phase bit (the names are both command-line keys and phase names)
phase_table:
    dd k_alu,   n_alu,   P_ALU
    dd k_mem,   n_mem,   P_MEM
    dd k_cr3,   n_cr3,   P_CR3
    dd k_pf,    n_pf,    P_PF
    dd k_crmix, n_crmix, P_CRMIX
    dd k_mem64, n_mem64, P_MEM64
    dd k_cr364, n_cr364, P_CR364
    dd 0

; defaults when the command line does not give them
n_alu:      dd 1000000
n_mem:      dd 4
n_cr3:      dd 10000
n_pf:       dd 5000
n_crmix:    dd 10000
n_mem64:    dd 4
n_cr364:    dd 10000
n_repeat:   dd 1
rep_left:   dd 0
phase_mask: dd P_ALL
pf_pt_next: dd PF_PTPOOL
pf_count:   dd 0
alu_check:  dd 0
pf_active:  db 0

k_alu:      db "alu", 0
k_mem:      db "mem", 0
k_cr3:      db "cr3", 0
k_pf:       db "pf", 0
k_crmix:    db "crmix", 0
k_mem64:    db "mem64", 0
k_cr364:    db "cr364", 0
k_phases:   db "phases", 0
k_repeat:   db "repeat", 0

hex_digits:   db "0123456789ABCDEF"
s_bench:      db "bench", 0
s_phases:     db " phases=", 0
s_repeat:     db " repeat=", 0
s_phase:      db "phase ", 0
s_start:      db " start", 10, 0
s_end_insns:  db " end insns=", 0
s_end_faults: db " end faults=", 0
s_check:      db " check=", 0
s_done:       db "bench done", 10, 0
s_exception:  db "bench exception ", 0
numbuf:       times 24 db 0
numbuf_end:   db 0

align 4
load_end:

section .bss align=4096
idt:      resb 32 * 8
alignb 16
stack:    resb 8192
stack_top:
bss_end:
