; Test guest: a multiboot v1 kernel as an ELF32 executable (no a.out kludge), written out by hand
; so that nasm alone builds it. Two PT_LOAD segments: text+data at 0x200000, and a .bss-like
; segment at 0x300000 (p_memsz > p_filesz, must read as zeros). Prints the multiboot command
; line and a bss check on COM1, then exits through 0xF4 with 0x10 (status 0x21).
bits 32
BASE     equ 0x200000
BSS      equ 0x300000
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x3                        ; page-align modules, memory information

ehdr:
    db 0x7F, "ELF", 1, 1, 1, 0          ; ELFCLASS32, little-endian, version 1
    times 8 db 0
    dw 2                                ; ET_EXEC
    dw 3                                ; EM_386
    dd 1                                ; EV_CURRENT
    dd BASE + (start - ehdr)            ; e_entry
    dd phdr - ehdr                      ; e_phoff
    dd 0                                ; e_shoff
    dd 0                                ; e_flags
    dw ehdr_end - ehdr                  ; e_ehsize
    dw 32                               ; e_phentsize
    dw 2                                ; e_phnum
    dw 40, 0, 0                         ; e_shentsize, e_shnum, e_shstrndx
ehdr_end:
phdr:
    dd 1, 0, BASE, BASE                 ; PT_LOAD, offset 0 -> 0x200000
    dd file_end - ehdr, file_end - ehdr, 7, 0x1000
    dd 1, file_end - ehdr, BSS, BSS     ; PT_LOAD, no file bytes -> 0x300000
    dd 0, 0x2000, 6, 0x1000

align 4
mb_header:
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

%define A(label) (BASE + (label - ehdr))

start:
    mov esp, A(stack_top)
    mov esi, A(msg_cmdline)
    call puts
    test dword [ebx], 1 << 2            ; cmdline present?
    jz .no_cmdline
    mov esi, [ebx + 16]
    call puts
.no_cmdline:
    mov al, 10
    call putc
    ; The second segment has no file bytes: all 8 KiB must read as zero.
    mov edi, BSS
    mov ecx, 0x2000 / 4
    xor eax, eax
    repe scasd
    mov esi, A(msg_bss_ok)
    je .print
    mov esi, A(msg_bss_bad)
.print:
    call puts
    mov al, 0x10
    out 0xF4, al
    hlt

puts:
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

putc:
    mov dx, 0x3F8
    out dx, al
    ret

msg_cmdline: db "elf-hello: cmdline=", 0
msg_bss_ok:  db "elf-hello: zeroed segment ok", 10, 0
msg_bss_bad: db "elf-hello: zeroed segment NOT zero", 10, 0
align 16
stack: times 256 db 0
stack_top:
file_end:
