/**
 * Step 1 of the random-instruction vectors: picks 64-bit instructions the core implements, from
 * random bytes decoded with iced-x86, with iced's undefined-flags mask: register-only forms, and
 * (lines starting with "M") forms whose one memory operand is [RBX + disp] with |disp| < 0x400.
 * Run: npx tsx test/cpu/core/native/gen_candidates.ts > test/cpu/core/native/candidates.txt
 * Step 2 (on an x86-64 host): python3 test/cpu/core/native/run_candidates.py
 */
import { Decoder, DecoderOptions, Mnemonic, OpKind, Register } from 'iced-x86';

const ALLOWED = new Set<string>(
  (
    'Add Or Adc Sbb And Sub Xor Cmp Test Inc Dec Neg Not Mov Movzx Movsx Movsxd Lea Xchg Xadd Cmpxchg Bswap ' +
    'Cbw Cwde Cdqe Cwd Cdq Cqo Lahf Sahf Clc Stc Cmc Nop Rol Ror Rcl Rcr Shl Sal Shr Sar Shld Shrd Mul Imul ' +
    'Bt Bts Btr Btc Bsf Bsr Tzcnt Lzcnt Popcnt ' +
    'Seto Setno Setb Setae Sete Setne Setbe Seta Sets Setns Setp Setnp Setl Setge Setle Setg ' +
    'Cmovo Cmovno Cmovb Cmovae Cmove Cmovne Cmovbe Cmova Cmovs Cmovns Cmovp Cmovnp Cmovl Cmovge Cmovle Cmovg'
  ).split(' '),
);

const FLAG_MAP: [number, number][] = [
  [1, 0x800],
  [2, 0x80],
  [4, 0x40],
  [8, 0x10],
  [16, 0x1],
  [32, 0x4],
];

let seed = 12345;
function rnd(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed >>> 16;
}

const names = Mnemonic as unknown as Record<number, string>;
const out: string[] = [];
const seen = new Set<string>();
const perMnemonic = new Map<string, number>();
let tries = 0;
while (out.length < 1500 && tries < 4_000_000) {
  tries++;
  const bytes = new Uint8Array(15);
  // Bias towards useful opcode space: optional 66/REX prefix, then an opcode.
  let i = 0;
  const p = rnd() % 6;
  if (p === 0) bytes[i++] = 0x66;
  if (p === 1 || p === 2) bytes[i++] = 0x40 | (rnd() & 0xf);
  if (rnd() % 3 === 0) bytes[i++] = 0x0f;
  for (; i < 15; i++) bytes[i] = rnd() & 0xff;
  const dec = new Decoder(64, bytes, DecoderOptions.None);
  const ins = dec.decode();
  try {
    if (ins.isInvalid || ins.hasLockPrefix || ins.hasRepPrefix || ins.hasRepnePrefix) continue;
    const name = names[ins.mnemonic] ?? '';
    if (!ALLOWED.has(name)) continue;
    let ok = true;
    let memory = false;
    for (let k = 0; k < ins.opCount; k++) {
      const kind = ins.opKind(k);
      if (kind === OpKind.Register) {
        const r = ins.opRegister(k);
        const gpr = r >= Register.AL && r <= Register.R15;
        if (!gpr || r === Register.SPL || r === Register.SP || r === Register.ESP || r === Register.RSP) ok = false;
      } else if (kind === OpKind.Memory) {
        if (ins.memoryBase === Register.RSP || ins.memoryBase === Register.RIP || ins.memoryBase === Register.EIP) ok = false;
        if (name !== 'Lea' && name !== 'Nop') {
          const disp = Number(BigInt.asIntN(64, ins.memoryDisplacement));
          if (ins.memoryBase !== Register.RBX || ins.memoryIndex !== Register.None || Math.abs(disp) >= 0x400) ok = false;
          memory = true;
        }
      } else if (!(kind >= OpKind.Immediate8 && kind <= OpKind.Immediate32to64)) {
        ok = false;
      }
    }
    if (ins.segmentPrefix !== Register.None && name !== 'Lea' && name !== 'Nop') ok = false;
    // BT* [mem], reg addresses a bit string anywhere relative to the operand: keep imm forms only.
    if (memory && name.startsWith('Bt') && ins.opKind(1) === OpKind.Register) ok = false;
    if (!ok) continue;
    const hex = Buffer.from(bytes.subarray(0, ins.length)).toString('hex');
    if (seen.has(hex)) continue;
    const key = memory ? `M${name}` : name;
    const n = perMnemonic.get(key) ?? 0;
    if (n >= (memory ? 12 : 30)) continue;
    perMnemonic.set(key, n + 1);
    seen.add(hex);
    let undef = 0;
    for (const [bit, fl] of FLAG_MAP) if ((ins.rflagsUndefined & bit) !== 0) undef |= fl;
    out.push(`${memory ? 'M ' : ''}${hex} ${undef.toString(16)}`);
  } finally {
    ins.free();
    dec.free();
  }
}
// String instructions ("S" lines): every element size, with and without REP/REPE/REPNE, and an
// address-size override (32-bit RSI/RDI/RCX) for a few.
const STRING_OPS = ['a4', 'a5', '66a5', '48a5', 'aa', 'ab', '66ab', '48ab', 'ac', 'ad', '48ad', 'a6', 'a7', '48a7', 'ae', 'af', '66af', '48af'];
for (const op of STRING_OPS) {
  const rep = op.endsWith('a6') || op.endsWith('a7') || op.endsWith('ae') || op.endsWith('af') ? ['', 'f3', 'f2'] : ['', 'f3'];
  for (const p of rep) out.push(`S ${p}${op} 0`);
}
out.push('S 67f3a4 0', 'S 67f3ab 0', 'S 67f2ae 0');
process.stdout.write(out.join('\n') + '\n');
process.stderr.write(`${out.length} candidates, ${perMnemonic.size} mnemonics\n`);
