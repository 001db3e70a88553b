"""
The instruction forms gen_simd.py records: (asm, pool, modes, states per form, imm8 values).
`{imm}` in the asm is replaced by each imm8 value (one form each). modes: 'b' = replay in 32-bit
and 64-bit mode (no REX, no 64-bit GPR), '6' = 64-bit only. RBX = RDI point at 32 bytes of
memory (16-byte aligned); [rbx+8] is a misaligned-by-8 address for unaligned forms.
"""
import random

random.seed(7)

POOLS = {'int': ('int', 40), 'str': ('str', 24)}
N = 6

FORMS = []


def add(asm, pool='int', modes='b', count=N, imms=None):
    FORMS.append((asm, pool, modes, count, imms))


def imms(k, always=(0, 0xff)):
    return sorted(set(list(always) + [random.randrange(256) for _ in range(k)]))


def binop(name, mmx=True, xmm=True, imm=None):
    suf = ', {imm}' if imm is not None else ''
    if xmm:
        add(f'{name} xmm0, xmm1{suf}', imms=imm)
        add(f'{name} xmm1, [rbx]{suf}', imms=imm)
        add(f'{name} xmm9, xmm8{suf}', modes='6', count=3, imms=imm)
        add(f'{name} xmm2, xmm2{suf}', count=3, imms=imm)
    if mmx:
        add(f'{name} mm0, mm1{suf}', imms=imm)
        add(f'{name} mm1, [rbx]{suf}', imms=imm)


# ---- data movement --------------------------------------------------------------------------
for n in ['movaps', 'movapd', 'movdqa']:
    add(f'{n} xmm0, xmm1')
    add(f'{n} xmm1, [rbx]')
    add(f'{n} [rbx], xmm2')
    add(f'{n} xmm9, xmm0', modes='6')
for n in ['movups', 'movupd', 'movdqu']:
    add(f'{n} xmm0, xmm1')
    add(f'{n} xmm1, [rbx+8]')
    add(f'{n} [rbx+4], xmm2')
add('lddqu xmm1, [rbx+3]')
for n in ['movntps', 'movntpd', 'movntdq']:
    add(f'{n} [rbx], xmm1')
add('movntdqa xmm1, [rbx]')
add('movnti [rbx+4], ecx')
add('movnti [rbx+4], rcx', modes='6')
add('movntq [rbx+4], mm1')
for n, m in [('movss', 'dword'), ('movsd', 'qword')]:
    add(f'{n} xmm0, xmm1')
    add(f'{n} xmm1, {m} ptr [rbx+4]')
    add(f'{n} {m} ptr [rbx+4], xmm2')
    add(f'{n} xmm8, xmm9', modes='6')
for n in ['movhps', 'movlps', 'movhpd', 'movlpd']:
    add(f'{n} xmm1, qword ptr [rbx+4]')
    add(f'{n} qword ptr [rbx+4], xmm2')
add('movhlps xmm0, xmm1')
add('movlhps xmm0, xmm1')
add('movhlps xmm9, xmm9', modes='6')
add('movddup xmm0, xmm1')
add('movddup xmm0, qword ptr [rbx+4]')
add('movshdup xmm0, xmm1')
add('movshdup xmm0, [rbx]')
add('movsldup xmm0, xmm1')
add('movsldup xmm9, [rbx]', modes='6')
add('movd xmm0, eax')
add('movd xmm1, dword ptr [rbx+4]')
add('movd eax, xmm1')
add('movd dword ptr [rbx+4], xmm2')
add('movq xmm0, rax', modes='6')
add('movq rdx, xmm9', modes='6')
add('movq xmm0, xmm1')
add('movq xmm1, qword ptr [rbx+4]')
add('movq qword ptr [rbx+4], xmm2')
add('movd mm0, eax')
add('movd mm1, dword ptr [rbx+4]')
add('movd ecx, mm1')
add('movd dword ptr [rbx+4], mm0')
add('movq mm0, rax', modes='6')
add('movq rcx, mm1', modes='6')
add('movq mm0, mm1')
add('movq mm1, qword ptr [rbx+4]')
add('movq qword ptr [rbx+4], mm0')
add('movq2dq xmm1, mm1')
add('movdq2q mm0, xmm1')
add('movmskps eax, xmm1')
add('movmskpd ecx, xmm9', modes='6')
add('pmovmskb eax, xmm1')
add('pmovmskb edx, mm1')
add('pmovmskb rax, xmm8', modes='6')
add('maskmovdqu xmm1, xmm2')
add('maskmovq mm0, mm1')

# ---- logic ------------------------------------------------------------------------------------
for n in ['andps', 'andnps', 'orps', 'xorps', 'andpd', 'andnpd', 'orpd', 'xorpd']:
    binop(n, mmx=False)
for n in ['pand', 'pandn', 'por', 'pxor']:
    binop(n)

# ---- integer arithmetic -------------------------------------------------------------------------
for n in ['paddb', 'paddw', 'paddd', 'paddq', 'psubb', 'psubw', 'psubd', 'psubq', 'paddsb', 'paddsw', 'paddusb', 'paddusw',
          'psubsb', 'psubsw', 'psubusb', 'psubusw', 'pmullw', 'pmulhw', 'pmulhuw', 'pmuludq', 'pmaddwd', 'pavgb', 'pavgw',
          'pminub', 'pmaxub', 'pminsw', 'pmaxsw', 'psadbw', 'pcmpeqb', 'pcmpeqw', 'pcmpeqd', 'pcmpgtb', 'pcmpgtw', 'pcmpgtd',
          'pshufb', 'phaddw', 'phaddd', 'phaddsw', 'phsubw', 'phsubd', 'phsubsw', 'pmaddubsw', 'pmulhrsw', 'psignb', 'psignw',
          'psignd', 'pabsb', 'pabsw', 'pabsd', 'packsswb', 'packssdw', 'packuswb', 'punpcklbw', 'punpcklwd', 'punpckldq',
          'punpckhbw', 'punpckhwd', 'punpckhdq']:
    binop(n)
for n in ['pmuldq', 'pmulld', 'pminsb', 'pmaxsb', 'pminuw', 'pmaxuw', 'pminsd', 'pmaxsd', 'pminud', 'pmaxud', 'pcmpeqq',
          'pcmpgtq', 'packusdw', 'punpcklqdq', 'punpckhqdq', 'phminposuw', 'ptest']:
    binop(n, mmx=False)
for n in ['pmovsxbw', 'pmovsxbd', 'pmovsxbq', 'pmovsxwd', 'pmovsxwq', 'pmovsxdq', 'pmovzxbw', 'pmovzxbd', 'pmovzxbq',
          'pmovzxwd', 'pmovzxwq', 'pmovzxdq']:
    add(f'{n} xmm0, xmm1')
    add(f'{n} xmm9, xmm8', modes='6')
add('pmovsxbw xmm1, qword ptr [rbx+4]')
add('pmovzxbd xmm1, dword ptr [rbx+4]')
add('pmovsxbq xmm1, word ptr [rbx+4]')
add('pmovzxwq xmm1, dword ptr [rbx+4]')

# ---- shifts ---------------------------------------------------------------------------------------
for n in ['psllw', 'pslld', 'psllq', 'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad']:
    binop(n)
    add(f'{n} xmm0, {{imm}}', imms=[0, 1, 7, 15, 16, 31, 32, 63, 64, 200])
    add(f'{n} mm0, {{imm}}', imms=[0, 1, 15, 16, 31, 33, 63, 64])
for n in ['pslldq', 'psrldq']:
    add(f'{n} xmm0, {{imm}}', imms=[0, 1, 3, 8, 15, 16, 17, 255])

# ---- shuffles, blends, inserts, extracts --------------------------------------------------------
binop('shufps', mmx=False, imm=imms(4))
binop('shufpd', mmx=False, imm=[0, 1, 2, 3])
for n in ['unpcklps', 'unpckhps', 'unpcklpd', 'unpckhpd']:
    binop(n, mmx=False)
for n in ['pshufd', 'pshuflw', 'pshufhw']:
    add(f'{n} xmm0, xmm1, {{imm}}', imms=imms(4))
    add(f'{n} xmm1, [rbx], {{imm}}', imms=imms(1))
add('pshufw mm0, mm1, {imm}', imms=imms(4))
add('pshufw mm0, [rbx], {imm}', imms=imms(1))
binop('palignr', imm=[0, 1, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 40])
binop('pblendw', mmx=False, imm=imms(3))
binop('mpsadbw', mmx=False, imm=[0, 1, 2, 3, 4, 5, 6, 7])
binop('blendps', mmx=False, imm=imms(3, (0, 15)))
binop('blendpd', mmx=False, imm=[0, 1, 2, 3])
for n in ['pblendvb', 'blendvps', 'blendvpd']:
    add(f'{n} xmm1, xmm2, xmm0')
    add(f'{n} xmm1, [rbx], xmm0')
    add(f'{n} xmm9, xmm8, xmm0', modes='6')
add('pinsrb xmm1, eax, {imm}', imms=[0, 5, 15, 16, 0xff])
add('pinsrb xmm1, byte ptr [rbx+3], {imm}', imms=[2])
add('pinsrw xmm1, eax, {imm}', imms=[0, 3, 7, 8, 0xff])
add('pinsrw xmm1, word ptr [rbx+2], {imm}', imms=[5])
add('pinsrw mm1, ecx, {imm}', imms=[0, 1, 3, 4])
add('pinsrd xmm1, ecx, {imm}', imms=[0, 2, 3, 7])
add('pinsrd xmm1, dword ptr [rbx+4], {imm}', imms=[1])
add('pinsrq xmm9, rcx, {imm}', modes='6', imms=[0, 1, 3])
add('pextrb eax, xmm1, {imm}', imms=[0, 9, 15, 17])
add('pextrb byte ptr [rbx+1], xmm1, {imm}', imms=[6])
add('pextrw eax, xmm1, {imm}', imms=[0, 5, 7, 9])
add('pextrw word ptr [rbx+2], xmm1, {imm}', imms=[3])
add('pextrw ecx, mm1, {imm}', imms=[0, 2, 3, 6])
add('pextrd ecx, xmm1, {imm}', imms=[0, 1, 3, 6])
add('pextrd dword ptr [rbx+4], xmm2, {imm}', imms=[2])
add('pextrq rcx, xmm9, {imm}', modes='6', imms=[0, 1, 2])
add('extractps eax, xmm1, {imm}', imms=[0, 1, 3, 5])
add('extractps dword ptr [rbx+4], xmm1, {imm}', imms=[2])
add('insertps xmm1, xmm2, {imm}', imms=imms(6, (0, 0x0f, 0xf0, 0x30)))
add('insertps xmm1, dword ptr [rbx+4], {imm}', imms=[0x10, 0xd5])

# ---- SSE4.2 string compares, CRC32, POPCNT --------------------------------------------------------
STR_IMMS = sorted(set([0x00, 0x01, 0x04, 0x08, 0x0c, 0x0d, 0x10, 0x18, 0x30, 0x38, 0x40, 0x44, 0x48, 0x4c, 0x1a, 0x3a, 0x72, 0x09, 0x0b]))
for n in ['pcmpistri', 'pcmpistrm', 'pcmpestri', 'pcmpestrm']:
    add(f'{n} xmm1, xmm2, {{imm}}', pool='str', count=8, imms=STR_IMMS)
    add(f'{n} xmm1, [rbx], {{imm}}', pool='str', count=4, imms=[0x0c, 0x18, 0x44, 0x01])
    add(f'{n} xmm9, xmm8, {{imm}}', pool='str', modes='6', count=3, imms=[0x00, 0x4a])
add('pcmpestri xmm1, xmm2, 0x0c', pool='int', count=10)
add('pcmpestrm xmm1, xmm2, 0x41', pool='int', count=10)
add('rex.w pcmpestri xmm1, xmm2, 0x0c', modes='6', pool='str', count=10)
for ins in ['crc32 eax, cl', 'crc32 eax, cx', 'crc32 eax, ecx', 'crc32 rax, rcx', 'crc32 rax, cl', 'crc32 eax, byte ptr [rbx+1]',
            'crc32 eax, dword ptr [rbx+4]', 'crc32 rax, qword ptr [rbx+3]']:
    add(ins, modes='6' if 'rax' in ins or 'rcx' in ins else 'b', count=8)
for ins in ['popcnt eax, ecx', 'popcnt ax, cx', 'popcnt rax, rcx', 'popcnt ecx, dword ptr [rbx+4]']:
    add(ins, modes='6' if 'r' in ins.split()[1] else 'b', count=8)
