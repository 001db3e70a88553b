#!/usr/bin/env python3
"""
Records x87 results from the host CPU (x86-64) as test vectors for the interpreter's FPU
(../fpu-vectors.test.ts replays them through the arithmetic module and through instructions).

Each vector runs one x87 instruction natively after
    FNINIT; FLDCW cw; EFLAGS = flags_in; FLD TBYTE b; FLD TBYTE a   (so ST0 = a, ST1 = b)
with a 10-byte memory operand at [RDI] (the bytes assemble the same in 32-bit code as [EDI]),
then records EFLAGS and an FNSAVE image (non-waiting, so unmasked exceptions are captured
without a #MF). Operands mix random values with edge cases: zeros, denormals, pseudo-denormals,
unnormals, infinities, QNaN/SNaN, pseudo-NaN, the largest/smallest normals, integers, halves.
Each arithmetic op runs under all 4 rounding modes x 3 precision controls; conversions and the
rest under all 4 rounding modes (precision control does not apply to them).

Usage (x86-64 Linux host): python3 gen_fpu_vectors.py | gzip -9n > fpu-vectors.txt.gz
Line: name cw a b mem flags_in | fsw ftw st0 st1 mem flags_out    (hex; a, b, st0, st1 as
se:sig (4+16 hex digits), mem 20 hex digits little-endian bytes, ftw the full tag word as stored)
"""
import ctypes
import mmap
import random
import struct
import sys

random.seed(20261208)

# Prologue: mov rsi, rdi; fninit; fldcw [rsi]; push qword [rsi+8]; popfq; fld tbyte [rsi+16];
# fld tbyte [rsi+32]; lea rdi, [rsi+64]
PRE = bytes.fromhex('4889fe dbe3 d92e ff7608 9d db6e20 db6e10 488d7e40'.replace(' ', ''))
# Epilogue: pushfq; pop qword [rsi+48]; fnsave [rsi+96]; ret
POST = bytes.fromhex('9c 8f4630 dd7660 c3'.replace(' ', ''))

buf = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(addr)
io = (ctypes.c_uint8 * 256)()
io_addr = ctypes.addressof(io)
loaded = [None]


def run(code, cw, flags, a, b, mem):
    if loaded[0] != code:
        buf.seek(0)
        buf.write(PRE + code + POST)
        loaded[0] = code
    struct.pack_into('<HxxxxxxQ', io, 0, cw, flags)
    io[16:26] = a
    io[32:42] = b
    io[64:74] = mem
    FN(io_addr)
    flags_out = struct.unpack_from('<Q', io, 48)[0]
    fsw = struct.unpack_from('<H', io, 96 + 4)[0]
    ftw = struct.unpack_from('<H', io, 96 + 8)[0]
    st0 = bytes(io[96 + 28:96 + 38])
    st1 = bytes(io[96 + 38:96 + 48])
    return fsw, ftw, st0, st1, bytes(io[64:74]), flags_out


def x80(sign, exp, sig):
    return struct.pack('<QH', sig & (2**64 - 1), (sign << 15) | exp)


def r_sig():
    return (1 << 63) | random.getrandbits(63)


def edge80():
    s = random.getrandbits(1)
    k = random.randrange(16)
    if k == 0:
        return x80(s, 0, 0)
    if k == 1:
        return x80(s, 0, random.getrandbits(random.randrange(1, 64)))  # denormal
    if k == 2:
        return x80(s, 0, r_sig())  # pseudo-denormal
    if k == 3:
        return x80(s, 0x7fff, 1 << 63)  # infinity
    if k == 4:
        return x80(s, 0x7fff, (3 << 62) | random.getrandbits(62))  # QNaN
    if k == 5:
        return x80(s, 0x7fff, (1 << 63) | random.getrandbits(62) | 1)  # SNaN
    if k == 6:
        return x80(s, random.randrange(1, 0x7fff), random.getrandbits(63))  # unnormal
    if k == 7:
        return x80(s, 0x7fff, random.getrandbits(63) | 1)  # pseudo-NaN / pseudo-inf
    if k == 8:
        return x80(s, 0x7ffe, random.choice([2**64 - 1, r_sig()]))  # near overflow
    if k == 9:
        return x80(s, random.randrange(1, 70), r_sig())  # near underflow
    if k == 10:
        return x80(s, 16383 + random.randrange(64), r_sig() & ~((1 << random.randrange(64)) - 1))  # integer-ish
    if k == 11:
        return x80(s, 16383 + random.randrange(-2, 3), 1 << 63)  # powers of two
    if k == 12:  # values of the double / single range edges
        e = random.choice([16383 - 1022, 16383 - 1023, 16383 - 1074, 16383 + 1023, 16383 + 1024, 16383 - 126, 16383 - 149, 16383 + 127, 16383 + 128])
        return x80(s, e + random.randrange(-2, 3), r_sig())
    if k == 13:  # ties for rounding at 24/53/64 bits
        p = random.choice([24, 53])
        sig = r_sig() & ~((1 << (64 - p)) - 1) | (1 << (63 - p))
        return x80(s, 16383 + random.randrange(-20, 20), sig)
    return x80(s, 16383 + random.randrange(-70, 70), r_sig())


def rand80():
    r = random.random()
    if r < 0.4:
        return edge80()
    s = random.getrandbits(1)
    if r < 0.8:
        return x80(s, 16383 + random.randrange(-40, 40), r_sig())
    return x80(s, random.randrange(1, 0x7fff), r_sig())


def near(a):
    """An operand close to a (cancellation in add/sub, ties in compare)."""
    sig, se = struct.unpack('<QH', a)
    if random.random() < 0.3:
        return a
    d = random.getrandbits(random.randrange(1, 20))
    return x80(random.getrandbits(1), (se & 0x7fff), (sig + d) & (2**64 - 1) | (sig & (1 << 63)))


def rand_mem(kind):
    """Random memory operand bytes for a load of `kind`."""
    m = bytearray(random.getrandbits(8) for _ in range(10))
    if kind == 'f32':
        e = random.choice([0, 0xff, random.randrange(1, 255), random.randrange(1, 255)])
        v = (random.getrandbits(1) << 31) | (e << 23) | random.choice([0, random.getrandbits(23), random.getrandbits(23)])
        m[0:4] = struct.pack('<I', v)
    elif kind == 'f64':
        e = random.choice([0, 0x7ff, random.randrange(1, 2047), random.randrange(1, 2047)])
        v = (random.getrandbits(1) << 63) | (e << 52) | random.choice([0, random.getrandbits(52), random.getrandbits(52)])
        m[0:8] = struct.pack('<Q', v)
    elif kind in ('i16', 'i32', 'i64'):
        n = {'i16': 2, 'i32': 4, 'i64': 8}[kind]
        v = random.choice([0, 1, -1, 2**(8 * n - 1) - 1, -2**(8 * n - 1), random.getrandbits(8 * n), random.getrandbits(random.randrange(1, 8 * n))])
        m[0:n] = (v & (2**(8 * n) - 1)).to_bytes(n, 'little')
    elif kind == 'bcd':
        digits = [random.randrange(10) for _ in range(18)]
        for i in range(9):
            m[i] = digits[2 * i] | (digits[2 * i + 1] << 4)
        m[9] = random.choice([0, 0x80])
    return bytes(m)


def ints_range(kind):
    return kind


PC = {24: 0x000, 53: 0x200, 64: 0x300}

# name, bytes, operand generator, precision-controlled, memory-load kind, count per mode
ARITH = [
    ('fadd', 'd8c1'), ('fsub', 'd8e1'), ('fsubr', 'd8e9'), ('fmul', 'd8c9'), ('fdiv', 'd8f1'), ('fdivr', 'd8f9'),
]
OPS = []
for name, code in ARITH:
    OPS.append((name, code, 'bin', True, None, 260))
OPS += [
    ('fsqrt', 'd9fa', 'un', True, None, 260),
    ('faddp', 'dec1', 'bin', True, None, 20),
    ('fsubp_sti', 'dee9', 'bin', True, None, 20),   # FSUBP ST(1), ST(0): ST1 = ST1 - ST0
    ('fsubrp_sti', 'dee1', 'bin', True, None, 20),  # FSUBRP ST(1), ST(0): ST1 = ST0 - ST1
    ('fdivp_sti', 'def9', 'bin', True, None, 20),
    ('fdivrp_sti', 'def1', 'bin', True, None, 20),
    ('fsub_sti', 'dce9', 'bin', True, None, 20),    # FSUB ST(1), ST(0)
    ('fadd_m32', 'd807', 'un', True, 'f32', 60),
    ('fmul_m64', 'dc0f', 'un', True, 'f64', 60),
    ('fdivr_m64', 'dc3f', 'un', True, 'f64', 40),
    ('fiadd_m16', 'de07', 'un', True, 'i16', 40),
    ('fisub_m32', 'da27', 'un', True, 'i32', 40),
    ('fidiv_m32', 'da37', 'un', True, 'i32', 40),
]
OPS_RC = [
    ('fst_m32', 'd917', 'un', None, 500),
    ('fst_m64', 'dd17', 'un', None, 500),
    ('fstp_m80', 'db3f', 'un', None, 100),
    ('fist_m16', 'df17', 'int', None, 300),
    ('fist_m32', 'db17', 'int', None, 300),
    ('fistp_m64', 'df3f', 'int', None, 300),
    ('fisttp_m16', 'df0f', 'int', None, 150),
    ('fisttp_m32', 'db0f', 'int', None, 150),
    ('fisttp_m64', 'dd0f', 'int', None, 150),
    ('fbstp', 'df37', 'int', None, 300),
    ('fld_m32', 'd907', 'un', 'f32', 300),
    ('fld_m64', 'dd07', 'un', 'f64', 300),
    ('fld_m80', 'db2f', 'un', 'x80', 100),
    ('fild_m16', 'df07', 'un', 'i16', 100),
    ('fild_m32', 'db07', 'un', 'i32', 100),
    ('fild_m64', 'df2f', 'un', 'i64', 100),
    ('fbld', 'df27', 'un', 'bcd', 200),
    ('frndint', 'd9fc', 'int', None, 400),
    ('fscale', 'd9fd', 'scale', None, 300),
    ('fxtract', 'd9f4', 'un', None, 150),
    ('fprem', 'd9f8', 'rem', None, 400),
    ('fprem1', 'd9f5', 'rem', None, 400),
    ('fcom', 'd8d1', 'cmp', None, 150),
    ('fcompp', 'ded9', 'cmp', None, 50),
    ('fucom', 'dde1', 'cmp', None, 150),
    ('fucomp', 'dde9', 'cmp', None, 50),
    ('fcomi', 'dbf1', 'cmp', None, 150),
    ('fucomip', 'dfe9', 'cmp', None, 150),
    ('fcom_m64', 'dc17', 'un', 'f64', 100),
    ('ficom_m32', 'da17', 'un', 'i32', 100),
    ('ftst', 'd9e4', 'un', None, 100),
    ('fxam', 'd9e5', 'un', None, 200),
    ('fchs', 'd9e0', 'un', None, 30),
    ('fabs', 'd9e1', 'un', None, 30),
    ('fxch', 'd9c9', 'bin', None, 30),
    ('fcmovb', 'dac1', 'bin', None, 30),
    ('fcmovnbe', 'dbd1', 'bin', None, 30),
    ('fcmovu', 'dad9', 'bin', None, 30),
    ('fld1', 'd9e8', 'none', None, 2), ('fldl2t', 'd9e9', 'none', None, 2), ('fldl2e', 'd9ea', 'none', None, 2),
    ('fldpi', 'd9eb', 'none', None, 2), ('fldlg2', 'd9ec', 'none', None, 2), ('fldln2', 'd9ed', 'none', None, 2),
    ('fldz', 'd9ee', 'none', None, 2),
    ('f2xm1', 'd9f0', 'f2xm1', None, 150),
    ('fyl2x', 'd9f1', 'log', None, 150),
    ('fyl2xp1', 'd9f9', 'log1p', None, 150),
    ('fptan', 'd9f2', 'trig', None, 150),
    ('fpatan', 'd9f3', 'bin', None, 150),
    ('fsin', 'd9fe', 'trig', None, 150),
    ('fcos', 'd9ff', 'trig', None, 150),
    ('fsincos', 'd9fb', 'trig', None, 150),
]


def operands(kind):
    a = rand80()
    b = rand80()
    if kind == 'bin' and random.random() < 0.25:
        b = near(a)
    if kind == 'int' and random.random() < 0.6:
        # values around integers and the integer ranges
        s = random.getrandbits(1)
        e = 16383 + random.choice([random.randrange(-2, 16), random.randrange(14, 18), random.randrange(30, 34), random.randrange(60, 66)])
        sig = r_sig()
        if random.random() < 0.3:
            sig = sig & ~((1 << random.randrange(40, 64)) - 1) | (1 << random.randrange(0, 40))
        a = x80(s, e, sig)
    if kind == 'scale':
        b = x80(random.getrandbits(1), 16383 + random.randrange(-1, 16), r_sig()) if random.random() < 0.8 else rand80()
    if kind == 'rem':
        if random.random() < 0.7:
            sa, sb = random.getrandbits(1), random.getrandbits(1)
            ea = 16383 + random.randrange(-10, 200)
            a = x80(sa, ea, r_sig())
            b = x80(sb, ea - random.randrange(-2, 100), r_sig())
    if kind == 'cmp' and random.random() < 0.3:
        b = near(a)
    if kind == 'f2xm1' and random.random() < 0.8:
        a = x80(random.getrandbits(1), 16383 - random.randrange(1, 70), r_sig())
    if kind in ('log', 'log1p') and random.random() < 0.8:
        e = 16383 + random.randrange(-30, 30) if kind == 'log' else 16383 - random.randrange(2, 70)
        a = x80(0 if kind == 'log' else random.getrandbits(1), e, r_sig())
        b = x80(random.getrandbits(1), 16383 + random.randrange(-5, 5), r_sig())
    if kind == 'trig' and random.random() < 0.85:
        a = x80(random.getrandbits(1), 16383 + random.randrange(-40, 8), r_sig())
    return a, b


def hx(bs):
    sig, se = struct.unpack('<QH', bs)
    return '%04x:%016x' % (se, sig)


out = sys.stdout
RCS = [0, 1, 2, 3]


def emit(name, code, cw, a, b, mem, flags):
    fsw, ftw, st0, st1, mem_out, fl = run(code, cw, flags, a, b, mem)
    out.write('%s %04x %s %s %s %x | %04x %04x %s %s %s %x\n' % (name, cw, hx(a), hx(b), mem.hex(), flags, fsw, ftw, hx(st0), hx(st1), mem_out.hex(), fl & 0x8d5))


def masks():
    # mostly all masked; sometimes one or all unmasked (then FNSAVE shows ES/B and no write)
    r = random.random()
    if r < 0.8:
        return 0x3f
    if r < 0.9:
        return 0x3f & ~(1 << random.randrange(6))
    return random.getrandbits(6)


for name, code, kind, pcs, mem_kind, n in OPS:
    code_b = bytes.fromhex(code)
    for rc in RCS:
        for pc in (24, 53, 64):
            for _ in range(n):
                a, b = operands(kind)
                mem = rand_mem(mem_kind) if mem_kind else bytes(10)
                emit(name, code_b, masks() | PC[pc] | (rc << 10) | 0x40, a, b, mem, 0x202)

for name, code, kind, mem_kind, n in OPS_RC:
    code_b = bytes.fromhex(code)
    for rc in RCS:
        for _ in range(n):
            a, b = operands(kind)
            if mem_kind == 'x80':
                mem = rand80()
            else:
                mem = rand_mem(mem_kind) if mem_kind else bytes(10)
            flags = 0x202 | random.choice([0, 1, 4, 0x40, 0x45, 0x41])
            emit(name, code_b, masks() | 0x300 | (rc << 10) | 0x40, a, b, mem, flags)

# Tininess: products just below the smallest normal that round up to it at p bits
# (a = 1 - k·2^-p, b = 2^-16382·(1 + m·2^-p)): underflow is reported only if tininess is
# detected before rounding. All rounding modes × precision controls.
TINY = [('fmul_tiny', 'd8c9')]
for name, code in TINY:
    code_b = bytes.fromhex(code)
    for rc in RCS:
        for pc in (24, 53, 64):
            for _ in range(40):
                p = random.choice([24, 53, 64, pc, pc])
                k = random.randrange(1, 4)
                m = random.randrange(0, 4)
                a_sig = ((1 << 64) - (k << (64 - p))) & (2**64 - 1)  # (1 - k·2^-p) · 2^64 (exponent 3FFE)
                b_sig = (1 << 63) | (m << (63 - p)) if p < 64 else (1 << 63) | m
                a = x80(random.getrandbits(1), 0x3ffe, a_sig)
                b = x80(random.getrandbits(1), 0x0001, b_sig)
                emit(name, code_b, masks() | PC[pc] | (rc << 10) | 0x40, a, b, bytes(10), 0x202)
