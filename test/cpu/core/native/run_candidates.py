#!/usr/bin/env python3
"""
Step 2 of the random-instruction vectors: runs each candidate (gen_candidates.ts) natively on an
x86-64 host with all general registers but RSP preset from a seed (splitmix64, mirrored by the
test), and records the registers that changed and RFLAGS.
Usage: python3 run_candidates.py < candidates.txt > random-vectors.txt
Line: hexbytes seed flags_in -> flags_out defined_mask reg=value,...   (hex; reg = 0..15)
"""
import ctypes
import mmap
import sys

M64 = (1 << 64) - 1
ALL = 0x8d5


def splitmix(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def reg_value(seed, r):
    v = splitmix(seed * 16 + r)
    k = v & 3
    if k == 0:
        return v
    if k == 1:
        return (v >> 8) & 0xff
    if k == 2:
        return (v >> 8) & 0xffffffff
    return (-((v >> 8) & 0xff)) & M64


def flags_in(seed):
    return 0x202 | (splitmix(seed * 16 + 99) & ALL)


def mov_load(r):
    return bytes([0x48 | (4 if r >= 8 else 0), 0x8b, 0x44 | ((r & 7) << 3), 0x24, 8 * r])


def mov_store(r):
    return bytes([0x48 | (4 if r >= 8 else 0), 0x89, 0x44 | ((r & 7) << 3), 0x24, 8 * r])


REGS = [r for r in range(16) if r != 4]
CALLEE_SAVED = [3, 5, 12, 13, 14, 15]  # rbx rbp r12-r15, kept in io[18..23]


def save(r, slot):  # mov [rdi+8*slot], r
    return bytes([0x48 | (4 if r >= 8 else 0), 0x89, 0x87 | ((r & 7) << 3)]) + (8 * slot).to_bytes(4, 'little')


def restore(r, slot):  # mov r, [rsp+8*slot]
    return bytes([0x48 | (4 if r >= 8 else 0), 0x8b, 0x84 | ((r & 7) << 3), 0x24]) + (8 * slot).to_bytes(4, 'little')


PRE = (b''.join(save(r, 18 + i) for i, r in enumerate(CALLEE_SAVED))
       + bytes.fromhex('4889a780000000' + '4889fc' + '488b842488000000' + '50' + '9d')
       + b''.join(mov_load(r) for r in REGS))
POST = (b''.join(mov_store(r) for r in REGS) + bytes.fromhex('9c' + '58' + '4889842488000000')
        + b''.join(restore(r, 18 + i) for i, r in enumerate(CALLEE_SAVED))
        + bytes.fromhex('488ba42480000000' + 'c3'))

buf = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))
mem = (ctypes.c_uint64 * 32)()
io_addr = ctypes.addressof(mem) + 16  # two slots of slack below for push/popf

out = []
seed = 1
for line in sys.stdin.read().split('\n'):
    if not line.strip():
        continue
    code_hex, undef = line.split()
    code = bytes.fromhex(code_hex)
    mask = ALL & ~int(undef, 16)
    buf.seek(0)
    buf.write(PRE + code + POST)
    for _ in range(2):
        regs = [reg_value(seed, r) for r in range(16)]
        for r in range(16):
            mem[2 + r] = regs[r]
        mem[2 + 17] = flags_in(seed)
        FN(io_addr)
        changed = ','.join('%d=%x' % (r, mem[2 + r]) for r in REGS if mem[2 + r] != regs[r])
        out.append('%s %d %x -> %x %x %s' % (code_hex, seed, flags_in(seed), mem[2 + 17] & 0xffffffff, mask, changed or '-'))
        seed += 1
sys.stdout.write('\n'.join(out) + '\n')
