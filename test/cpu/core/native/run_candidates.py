#!/usr/bin/env python3
"""
Step 2 of the random-instruction vectors: runs each candidate (gen_candidates.ts) natively on an
x86-64 host with all general registers but RSP preset from a seed (splitmix64, mirrored by the
test), and records the registers that changed and RFLAGS.
Usage: python3 run_candidates.py < candidates.txt > random-vectors.txt
Line: [M] hexbytes seed flags_in -> flags_out defined_mask reg=value,... [addr=byte,...]   (hex)
Memory ("M") candidates address [RBX + disp]: RBX = 0x201000 and the 8 KiB at 0x200000 are
filled from the seed (xorshift32, one byte per step); the bytes that changed are recorded.
String ("S") candidates use the same window with RSI = 0x200800 + seed % 64, RDI = 0x201000 +
(7 * seed) % 64, RCX = seed % 24, DF = seed & 1, and window[0x1000..0x1100) a copy of
window[0x800..0x900) except the byte at 0x1000 + seed % 40 (so REPE/REPNE stop somewhere).
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
        + bytes.fromhex('488ba42480000000' + 'fc' + 'c3'))  # cld: the ABI wants DF = 0 on return

buf = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))
mem = (ctypes.c_uint64 * 32)()
io_addr = ctypes.addressof(mem) + 16  # two slots of slack below for push/popf

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
MEM_BASE, MEM_SIZE, RBX = 0x200000, 0x2000, 0x201000
got = libc.mmap(MEM_BASE, MEM_SIZE, 3, 0x22 | 0x100000, -1, 0)  # RW, PRIVATE|ANON|FIXED_NOREPLACE
assert got == MEM_BASE, hex(got or 0)
window = (ctypes.c_uint8 * MEM_SIZE).from_address(MEM_BASE)


def fill(seed):
    x = (seed * 2654435761 + 1) & 0xffffffff
    data = bytearray(MEM_SIZE)
    for i in range(MEM_SIZE):
        x ^= (x << 13) & 0xffffffff
        x ^= x >> 17
        x ^= (x << 5) & 0xffffffff
        data[i] = x & 0xff
    return bytes(data)


out = []
seed = 1
for line in sys.stdin.read().split('\n'):
    if not line.strip():
        continue
    parts = line.split()
    memory = parts[0] in ('M', 'S')
    string = parts[0] == 'S'
    code_hex, undef = parts[-2], parts[-1]
    code = bytes.fromhex(code_hex)
    mask = ALL & ~int(undef, 16)
    buf.seek(0)
    buf.write(PRE + code + POST)
    for _ in range(2):
        regs = [reg_value(seed, r) for r in range(16)]
        fl = flags_in(seed)
        if memory:
            regs[3] = RBX
            before = fill(seed)
            if string:
                b = bytearray(before)
                b[0x1000:0x1100] = b[0x800:0x900]
                b[0x1000 + seed % 40] ^= 0x5a
                before = bytes(b)
                regs[6] = MEM_BASE + 0x800 + seed % 64
                regs[7] = MEM_BASE + 0x1000 + (7 * seed) % 64
                regs[1] = seed % 24
                fl = (fl & ~0x400) | (0x400 if seed & 1 else 0)
            ctypes.memmove(MEM_BASE, before, MEM_SIZE)
        for r in range(16):
            mem[2 + r] = regs[r]
        mem[2 + 17] = fl
        FN(io_addr)
        changed = ','.join('%d=%x' % (r, mem[2 + r]) for r in REGS if mem[2 + r] != regs[r])
        line = '%s%s %d %x -> %x %x %s' % (parts[0] + ' ' if memory else '', code_hex, seed, fl, mem[2 + 17] & 0xffffffff, mask, changed or '-')
        if memory:
            after = bytes(window)
            line += ' ' + (','.join('%x=%x' % (MEM_BASE + i, after[i]) for i in range(MEM_SIZE) if after[i] != before[i]) or '-')
        out.append(line)
        seed += 1
sys.stdout.write('\n'.join(out) + '\n')
