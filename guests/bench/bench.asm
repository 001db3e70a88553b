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
; Build (from the repository root): nasm -f bin -o guests/bench/bench.img guests/bench/bench.asm
; (guests/bench/build.sh, scripts/build-guests.sh)

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

%include "guests/bench/system.inc"
%include "guests/bench/cmdline.inc"
%include "guests/bench/long.inc"
%include "guests/bench/data.inc"
