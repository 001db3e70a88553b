#!/usr/bin/env python3
"""
Records instruction results from the host CPU (x86-64) as test vectors for the interpreter.

Each vector runs one instruction natively with RAX, RCX, RDX and RFLAGS preset, then records
RAX, RCX, RDX and RFLAGS. The interpreter test (../native-vectors.test.ts) runs the same bytes
and compares, masking out the flags the SDM leaves undefined for that instruction/count.

Usage (on an x86-64 Linux host): python3 gen_vectors.py > vectors.txt
Line format: hexbytes rax rcx rdx flags_in -> rax rcx rdx flags_out defined_mask   (hex)
"""
import ctypes
import mmap
import random
import struct
import sys

random.seed(20261125)

CF, PF, AF, ZF, SF, OF = 1, 4, 0x10, 0x40, 0x80, 0x800
ALL = CF | PF | AF | ZF | SF | OF

PRE = bytes.fromhex('488b07 488b4f08 488b5710 ff7718 9d'.replace(' ', ''))
POST = bytes.fromhex('9c 8f4718 488907 48894f08 48895710 c3'.replace(' ', ''))

buf = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(addr)
io = (ctypes.c_uint64 * 4)()


def run(code, rax, rcx, rdx, fl):
    buf.seek(0)
    buf.write(PRE + code + POST)
    io[0], io[1], io[2], io[3] = rax, rcx, rdx, fl
    FN(ctypes.addressof(io))
    return io[0], io[1], io[2], io[3]


EDGE = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
        0xffffffff, 0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff, 0x0f, 0x10, 0x99]


def rnd():
    r = random.random()
    if r < 0.35:
        return random.choice(EDGE)
    if r < 0.5:
        return random.getrandbits(8)
    if r < 0.65:
        return random.getrandbits(16)
    if r < 0.8:
        return random.getrandbits(32)
    return random.getrandbits(64)


def prefix(size):
    return {1: b'', 2: b'\x66', 4: b'', 8: b'\x48'}[size]


vectors = []


def emit(code, rax, rcx, rdx, fl, mask):
    out = run(code, rax, rcx, rdx, fl)
    vectors.append('%s %x %x %x %x -> %x %x %x %x %x' % (code.hex(), rax, rcx, rdx, fl, out[0], out[1], out[2], out[3] & 0xffffffff, mask))


def flags_in():
    return 0x202 | random.choice([0, CF, ALL, AF | CF, ZF, OF | SF]) | (random.getrandbits(1) and CF)


N = 24
SIZES = (1, 2, 4, 8)

# Two-operand ALU: op eAX, eCX (opcode k*8+0/1, modrm C8).
for k, name in enumerate(['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp']):
    for size in SIZES:
        code = prefix(size) + bytes([k * 8 + (0 if size == 1 else 1), 0xc8])
        mask = ALL & ~AF if name in ('or', 'and', 'xor') else ALL
        for _ in range(N):
            emit(code, rnd(), rnd(), rnd(), flags_in(), mask)

# test eax,ecx (85 C8 / 84 C8)
for size in SIZES:
    code = prefix(size) + bytes([0x84 if size == 1 else 0x85, 0xc8])
    for _ in range(N):
        emit(code, rnd(), rnd(), rnd(), flags_in(), ALL & ~AF)

# Unary: inc dec (FE/FF /0 /1), not neg (F6/F7 /2 /3)
for ext, opc8, opc in [(0, 0xfe, 0xff), (1, 0xfe, 0xff), (2, 0xf6, 0xf7), (3, 0xf6, 0xf7)]:
    for size in SIZES:
        code = prefix(size) + bytes([opc8 if size == 1 else opc, 0xc0 | (ext << 3)])
        for _ in range(N):
            emit(code, rnd(), rnd(), rnd(), flags_in(), ALL)

# Shifts/rotates by CL: D2/D3 /ext, modrm C0|ext<<3. Count in CL.
for ext, name in [(0, 'rol'), (1, 'ror'), (2, 'rcl'), (3, 'rcr'), (4, 'shl'), (5, 'shr'), (7, 'sar')]:
    for size in SIZES:
        code = prefix(size) + bytes([0xd2 if size == 1 else 0xd3, 0xc0 | (ext << 3)])
        bits = size * 8
        for i in range(N + 8):
            count = random.choice([0, 1, 1, 2, 3, bits - 1, bits, bits + 1, 31, 32, 33, 63, 64]) if i % 2 else random.getrandbits(8)
            masked = count & (63 if size == 8 else 31)
            if masked == 0:
                mask = ALL
            elif name in ('rol', 'ror', 'rcl', 'rcr'):
                mask = CF | OF if masked == 1 else CF
                if name in ('rol', 'ror') and masked % bits == 0 and masked != 1:
                    mask = CF  # result unchanged, CF from the result bit
            else:
                mask = ALL & ~AF
                if masked != 1:
                    mask &= ~OF
                if masked >= bits and name == 'shl':
                    mask &= ~CF
                if masked > bits and name in ('shr', 'sar'):
                    mask &= ~CF
            rcx = (rnd() & ~0xff) | count
            emit(code, rnd(), rcx, rnd(), flags_in(), mask)

# shld/shrd eax, edx, cl (0F A5 D0 / 0F AD D0): 16/32/64 only; counts within the operand size.
for opc in (0xa5, 0xad):
    for size in (2, 4, 8):
        code = prefix(size) + bytes([0x0f, opc, 0xd0])
        bits = size * 8
        for i in range(N):
            count = random.choice([0, 1, 2, 7, bits - 1]) if i % 2 else random.randrange(0, bits)
            mask = ALL if count == 0 else (ALL & ~AF if count == 1 else ALL & ~AF & ~OF)
            emit(code, rnd(), (rnd() & ~0xff) | count, rnd(), flags_in(), mask)

# imul eax,ecx (0F AF C1); mul ecx (F6/F7 E1): CF, OF defined.
for size in (2, 4, 8):
    code = prefix(size) + bytes([0x0f, 0xaf, 0xc1])
    for _ in range(N):
        emit(code, rnd(), rnd(), rnd(), flags_in(), CF | OF)
for size in SIZES:
    for ext in (4, 5):  # mul, imul (one operand)
        code = prefix(size) + bytes([0xf6 if size == 1 else 0xf7, 0xc1 | (ext << 3)])
        for _ in range(N):
            emit(code, rnd(), rnd(), rnd(), flags_in(), CF | OF)

# div/idiv ecx (F6/F7 /6 /7 with modrm F1/F9), only when the quotient fits.
def sx(v, bits):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v

for size in SIZES:
    bits = size * 8
    for ext in (6, 7):
        code = prefix(size) + bytes([0xf6 if size == 1 else 0xf7, 0xc1 | (ext << 3)])
        made = 0
        while made < N:
            rax, rcx, rdx = rnd(), rnd(), rnd()
            m = (1 << bits) - 1
            if size == 1:
                n, dv = rax & 0xffff, rcx & 0xff
                sn, sd = sx(n, 16), sx(dv, 8)
            else:
                n, dv = ((rdx & m) << bits) | (rax & m), rcx & m
                sn, sd = sx(n, 2 * bits), sx(dv, bits)
            if dv == 0:
                continue
            if ext == 6 and n // dv > m:
                continue
            if ext == 7:
                q = abs(sn) // abs(sd) * (1 if (sn < 0) == (sd < 0) else -1)
                if q != sx(q, bits):
                    continue
            emit(code, rax, rcx, rdx, flags_in(), 0)
            made += 1

# bsf/bsr eax,ecx (0F BC/BD C1): ZF defined; destination only when the source is nonzero.
for opc in (0xbc, 0xbd):
    for size in (2, 4, 8):
        code = prefix(size) + bytes([0x0f, opc, 0xc1])
        for i in range(N):
            rcx = 0 if i < 3 else rnd()
            emit(code, rnd(), rcx, rnd(), flags_in(), ZF)

# bt/bts/btr/btc eax,ecx (0F A3/AB/B3/BB C8): CF defined.
for opc in (0xa3, 0xab, 0xb3, 0xbb):
    for size in (2, 4, 8):
        code = prefix(size) + bytes([0x0f, opc, 0xc8])
        for _ in range(N):
            emit(code, rnd(), rnd(), rnd(), flags_in(), CF)

# cbw/cwde/cdqe (98), cwd/cdq/cqo (99), bswap eax (0F C8), movsx/movzx eax,cl/cx, xadd, cmpxchg, daa-free misc
for code in [b'\x66\x98', b'\x98', b'\x48\x98', b'\x66\x99', b'\x99', b'\x48\x99', b'\x0f\xc8', b'\x48\x0f\xc8',
             b'\x0f\xbe\xc1', b'\x0f\xbf\xc1', b'\x48\x0f\xbe\xc1', b'\x48\x63\xc1', b'\x0f\xb6\xc1', b'\x66\x0f\xb6\xc1',
             b'\x0f\xc1\xc8', b'\x48\x0f\xc1\xc8', b'\x0f\xb1\xca', b'\x48\x0f\xb1\xca', b'\x0f\xb0\xca', b'\x87\xc8', b'\x86\xc8']:
    for _ in range(N):
        emit(code, rnd(), rnd(), rnd(), flags_in(), ALL)

sys.stdout.write('\n'.join(vectors) + '\n')
