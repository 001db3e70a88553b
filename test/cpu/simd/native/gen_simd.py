#!/usr/bin/env python3
"""
Records SIMD instruction results from the host CPU (x86-64) as test vectors for the interpreter.

Each vector runs one instruction natively (64-bit mode) from a known state -- XMM0, XMM1, XMM2,
XMM8, XMM9, MM0, MM1, RAX, RCX, RDX, RFLAGS, MXCSR and 32 bytes of memory at RBX = RDI -- and
records the state after it. The instructions are written in assembly (forms.py), assembled with
GNU as; the input states are a fixed pool (states.txt, written here) so each vector line only
names its state and the fields that changed.

Usage (on an x86-64 Linux host with binutils): python3 gen_simd.py   (writes states.txt and
vectors.txt next to this file). The interpreter test (../native-simd.test.ts) replays the
vectors in 64-bit mode, and those marked `b` also in 32-bit protected mode.

Line formats (hex):
  states.txt:  x0 x1 x2 x8 x9 m0 m1 rax rcx rdx flags mxcsr mem
  vectors.txt: code modes state field=value...   (modes: 6 = 64-bit only, b = both)
"""
import ctypes
import mmap
import os
import random
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from forms import FORMS, POOLS  # noqa: E402

random.seed(20261208)

FIELDS = ['x0', 'x1', 'x2', 'x8', 'x9', 'm0', 'm1', 'rax', 'rcx', 'rdx', 'fl', 'mx', 'mem']
WIDTH = {'x0': 16, 'x1': 16, 'x2': 16, 'x8': 16, 'x9': 16, 'm0': 8, 'm1': 8, 'rax': 8, 'rcx': 8, 'rdx': 8, 'fl': 8, 'mx': 4, 'mem': 32}
# io block offsets (the block is 16-byte aligned; mem at 144 is too)
OFF = {'x0': 0, 'x1': 16, 'x2': 32, 'x8': 48, 'x9': 64, 'm0': 80, 'm1': 88, 'rax': 96, 'rcx': 104, 'rdx': 112, 'fl': 120, 'mx': 128, 'mem': 144}
IO_SIZE = 176

PRE = """
  push r15
  push rbx
  mov r15, rdi
  movdqu xmm0, [r15]
  movdqu xmm1, [r15+16]
  movdqu xmm2, [r15+32]
  movdqu xmm8, [r15+48]
  movdqu xmm9, [r15+64]
  movq mm0, [r15+80]
  movq mm1, [r15+88]
  ldmxcsr [r15+128]
  mov rax, [r15+96]
  mov rcx, [r15+104]
  mov rdx, [r15+112]
  lea rbx, [r15+144]
  mov rdi, rbx
  push qword ptr [r15+120]
  popfq
"""
POST = """
  pushfq
  pop qword ptr [r15+120]
  mov [r15+96], rax
  mov [r15+104], rcx
  mov [r15+112], rdx
  movdqu [r15], xmm0
  movdqu [r15+16], xmm1
  movdqu [r15+32], xmm2
  movdqu [r15+48], xmm8
  movdqu [r15+64], xmm9
  movq [r15+80], mm0
  movq [r15+88], mm1
  stmxcsr [r15+128]
  emms
  pop rbx
  pop r15
  ret
"""


def assemble(chunks):
    """Assemble a list of asm snippets; returns the machine code of each."""
    src = ['.intel_syntax noprefix', '.text']
    for i, c in enumerate(chunks):
        src.append(f'L{i}:')
        src.append(c)
    src.append(f'L{len(chunks)}:')
    with tempfile.TemporaryDirectory() as d:
        s, o, b = os.path.join(d, 'a.s'), os.path.join(d, 'a.o'), os.path.join(d, 'a.bin')
        open(s, 'w').write('\n'.join(src) + '\n')
        subprocess.run(['as', '--64', '-o', o, s], check=True)
        subprocess.run(['objcopy', '-O', 'binary', '-j', '.text', o, b], check=True)
        text = open(b, 'rb').read()
        syms = {}
        for line in subprocess.run(['nm', o], check=True, capture_output=True, text=True).stdout.split('\n'):
            p = line.split()
            if len(p) == 3 and p[2].startswith('L'):
                syms[int(p[2][1:])] = int(p[0], 16)
    return [text[syms[i]:syms[i + 1]] for i in range(len(chunks))]


buf = mmap.mmap(-1, 8192, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
base = ctypes.addressof(ctypes.c_char.from_buffer(buf))
IO = 4096
FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(base)
pre, post = assemble([PRE, POST])


def run(code, state):
    buf.seek(0)
    buf.write(pre + code + post)
    io = bytearray(IO_SIZE)
    for f in FIELDS:
        io[OFF[f]:OFF[f] + WIDTH[f]] = state[f].to_bytes(WIDTH[f], 'little')
    buf[IO:IO + IO_SIZE] = bytes(io)
    FN(base + IO)
    out = bytes(buf[IO:IO + IO_SIZE])
    return {f: int.from_bytes(out[OFF[f]:OFF[f] + WIDTH[f]], 'little') for f in FIELDS}


# ---- the input-state pool -----------------------------------------------------------------

EDGE_DW = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x00ff00ff, 0x80008000, 0x7fff8001]


def rnd_lane_bytes(n):
    out = bytearray()
    while len(out) < n:
        r = random.random()
        if r < 0.3:
            v = random.choice(EDGE_DW)
        elif r < 0.45:
            v = random.getrandbits(8) * 0x01010101
        elif r < 0.6:
            v = random.choice([0, 0xffffffff, 0x80000000, 0x7fffffff]) ^ random.getrandbits(4)
        else:
            v = random.getrandbits(32)
        out += v.to_bytes(4, 'little')
    random.shuffle(out) if random.random() < 0.2 else None
    return int.from_bytes(bytes(out[:n]), 'little')


def rnd_str(n):
    """Bytes/words of a small alphabet, sometimes a NUL: string-compare operands."""
    alpha = b'abcAB\x00' if random.random() < 0.5 else b'ab'
    b = bytes(random.choice(alpha) for _ in range(n))
    if random.random() < 0.3:
        k = random.randrange(n)
        b = b[:k] + b'\x00' + b[k + 1:]
    return int.from_bytes(b, 'little')


def small_len():
    return random.choice([0, 1, 3, 7, 8, 15, 16, 17, -1, -5, -16, -17, 0x80000000, 0x7fffffff]) & 0xffffffffffffffff if random.random() < 0.4 else random.randrange(-20, 21) & 0xffffffffffffffff


def rnd_gpr():
    r = random.random()
    if r < 0.3:
        return random.choice([0, 1, 0xffffffff, 0x80000000, 0xffffffffffffffff, 0x8000000000000000])
    return random.getrandbits(64) if r < 0.7 else random.getrandbits(32)


def make_state(kind):
    s = {}
    gen = rnd_str if kind == 'str' else rnd_lane_bytes
    for f in ['x0', 'x1', 'x2', 'x8', 'x9']:
        s[f] = gen(16)
    s['m0'] = gen(8)
    s['m1'] = gen(8)
    if kind == 'str':
        s['rax'], s['rcx'], s['rdx'] = small_len(), rnd_gpr(), small_len()
    else:
        s['rax'], s['rcx'], s['rdx'] = rnd_gpr(), rnd_gpr(), rnd_gpr()
    s['fl'] = 0x202 | random.choice([0, 0x1, 0x8d5, 0x40, 0x880])
    s['mx'] = 0x1f80
    s['mem'] = gen(16) | (gen(16) << 128)
    return s


def main():
    states = []
    pool_index = {}
    for name, (kind, n) in POOLS.items():
        pool_index[name] = list(range(len(states), len(states) + n))
        states += [make_state(kind) for _ in range(n)]
    with open(os.path.join(HERE, 'states.txt'), 'w') as f:
        for s in states:
            f.write(' '.join('%0*x' % (WIDTH[k] * 2, s[k]) for k in FIELDS) + '\n')

    texts = []
    meta = []
    for form in FORMS:
        asm, pool, modes, count, imms = form
        for imm in (imms if imms else [None]):
            texts.append(asm.replace('{imm}', str(imm)) if imm is not None else asm)
            meta.append((pool, modes, count))
    codes = assemble(texts)
    lines = []
    for code, (pool, modes, count), text in zip(codes, meta, texts):
        idx = random.sample(pool_index[pool], min(count, len(pool_index[pool])))
        for i in idx:
            out = run(code, states[i])
            diff = ' '.join('%s=%x' % (k, out[k]) for k in FIELDS if out[k] != states[i][k])
            lines.append(f'{code.hex()} {modes} {i} {diff}'.rstrip())
    with open(os.path.join(HERE, 'vectors.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print(f'{len(states)} states, {len(texts)} forms, {len(lines)} vectors', file=sys.stderr)


main()
