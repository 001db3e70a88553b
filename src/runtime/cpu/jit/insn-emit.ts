/**
 * Per-instruction code for the block compiler. `plan` returns, for a supported instruction,
 * the code split in three so flag liveness (liveness.ts) can drop dead flag computations:
 *   pre   temporaries and memory accesses (may fault; changes no register/flag local),
 *   flags the status-flag expressions (written set `fw`),
 *   post  the register commits.
 * Semantics follow the interpreter's handlers (core/alu.ts, fast.ts, fast64.ts, data.ts,
 * branch.ts) exactly, including the values it gives architecturally undefined flags.
 * Supported: ADD ADC SUB SBB AND OR XOR CMP TEST (register, immediate, memory,
 * read-modify-write; 8/16-bit forms in narrow-emit.ts), INC DEC NEG NOT, MOV, MOVZX MOVSX MOVSXD, LEA, 32-bit shifts/rotates by
 * an immediate, NOP, PUSH/POP of a register or immediate, and JMP/Jcc/CALL rel and RET as the
 * block's last instruction. MOV to/from CR and CLTS are exit sites: the block calls the
 * interpreter's handler (which exits to the monitor) in place, see compile.ts.
 */
import { Mnemonic } from 'iced-x86';
import { BASE_RIP, OpK, type DecodedInsn } from '../decoded.ts';
import type { EmitCtx } from './ctx.ts';
import {
  addFlags32,
  addFlags64,
  ALL,
  CF,
  condReads,
  logicFlags32,
  logicFlags64,
  OF,
  subFlags32,
  subFlags64,
  type FlagExprs,
} from './flags-emit.ts';
import { aluNarrow, movNarrowReg, narrowReg, unaryNarrow } from './narrow-emit.ts';
import { eaLow32, emitLoad, emitLoadAt, emitRmw, emitStore, emitStoreAt, halves64, memSupported } from './mem-emit.ts';
import { clts, movFromCr, movToCr } from '../system.ts';
import type { Handler } from '../decoded.ts';

/**
 * The block's last instruction. jcc: `cond` ≠ 0; jmp: kind 'jcc' with cond 0; call rel: `pre`
 * pushes the return address; ret: `pre` loads the target into `t`. `post` updates the stack
 * pointer; both run only once the target passed its check.
 */
export interface Branch {
  kind: 'jcc' | 'call' | 'ret';
  cond: number;
  rel: number;
  pre: string;
  post: string;
}

export interface InsnPlan {
  pre: string;
  flags: FlagExprs;
  fw: number;
  fr: number;
  post: string;
  /** Has a memory access (may fault, may take a slow path). */
  mem: boolean;
  /** Jcc (cond ≠ 0) or JMP (cond = 0): ends the block. */
  branch: Branch | null;
  /** An exit site: the block runs the instruction's interpreter handler (compile.ts). */
  exitSite?: true;
  /** An exit site's GPR size as system.ts crExit caches it (CLTS: 4; else the mode's). */
  exitSize?: 4 | 8;
}

/**
 * Handlers a block may call in place: they change only GPRs, flags, control registers and
 * RIP (or raise, or exit to the monitor, which may inject an event or stop the run), so after
 * the call the block reloads its register locals and goes on unless the mode/TLB epoch moved,
 * RIP went elsewhere, or the run must stop.
 */
const EXIT_SITES: ReadonlySet<Handler> = new Set<Handler>([movToCr, movFromCr, clts]);

/** Every flag is read: the handler (or the monitor, or an injected event) sees EFLAGS exactly. */
const EXIT_SITE_4: InsnPlan = { pre: '', flags: {}, fw: 0, fr: ALL, post: '', mem: false, branch: null, exitSite: true, exitSize: 4 };
const EXIT_SITE_8: InsnPlan = { ...EXIT_SITE_4, exitSize: 8 };

type AluOp = 'add' | 'adc' | 'sub' | 'sbb' | 'and' | 'or' | 'xor';

const ALU = new Map<number, [AluOp, boolean]>([
  [Mnemonic.Add, ['add', true]],
  [Mnemonic.Adc, ['adc', true]],
  [Mnemonic.Sub, ['sub', true]],
  [Mnemonic.Sbb, ['sbb', true]],
  [Mnemonic.And, ['and', true]],
  [Mnemonic.Or, ['or', true]],
  [Mnemonic.Xor, ['xor', true]],
  [Mnemonic.Cmp, ['sub', false]],
  [Mnemonic.Test, ['and', false]],
]);

function plain(pre: string, post: string, mem: boolean): InsnPlan {
  return { pre, flags: {}, fw: 0, fr: 0, post, mem, branch: null };
}

/** r = a op b on int32 values; returns [code, flags, flags read]. */
function op32(op: AluOp, a: string, b: string): [string, FlagExprs, number] {
  switch (op) {
    case 'add':
      return [`const r = (${a} + ${b}) | 0;`, addFlags32(a, b, 'r', null), 0];
    case 'adc':
      return [`const s = (${a} >>> 0) + (${b} >>> 0) + (f & 1); const r = s | 0;`, addFlags32(a, b, 'r', 's'), CF];
    case 'sub':
      return [`const r = (${a} - ${b}) | 0;`, subFlags32(a, b, 'r', null), 0];
    case 'sbb':
      return [`const s = (${a} >>> 0) - (${b} >>> 0) - (f & 1); const r = s | 0;`, subFlags32(a, b, 'r', 's'), CF];
    case 'and':
      return [`const r = ${a} & ${b};`, logicFlags32('r'), 0];
    case 'or':
      return [`const r = ${a} | ${b};`, logicFlags32('r'), 0];
    case 'xor':
      return [`const r = ${a} ^ ${b};`, logicFlags32('r'), 0];
  }
}

/** (rl, rh) = (al, ah) op (bl, bh). */
function op64(op: AluOp, al: string, ah: string, bl: string, bh: string): [string, FlagExprs, number] {
  switch (op) {
    case 'add':
    case 'adc': {
      const cin = op === 'adc' ? ' + (f & 1)' : '';
      return [
        `const sl = (${al} >>> 0) + (${bl} >>> 0)${cin}; const rl = sl | 0; const sh = (${ah} >>> 0) + (${bh} >>> 0) + (sl > 4294967295 ? 1 : 0); const rh = sh | 0;`,
        addFlags64(al, ah, bl, bh, 'rl', 'rh', 'sh'),
        op === 'adc' ? CF : 0,
      ];
    }
    case 'sub':
    case 'sbb': {
      const cin = op === 'sbb' ? ' - (f & 1)' : '';
      return [
        `const sl = (${al} >>> 0) - (${bl} >>> 0)${cin}; const rl = sl | 0; const sh = (${ah} >>> 0) - (${bh} >>> 0) - (sl < 0 ? 1 : 0); const rh = sh | 0;`,
        subFlags64(al, ah, bl, bh, 'rl', 'rh', 'sh'),
        op === 'sbb' ? CF : 0,
      ];
    }
    default: {
      const o = op === 'and' ? '&' : op === 'or' ? '|' : '^';
      return [`const rl = ${al} ${o} ${bl}; const rh = ${ah} ${o} ${bh};`, logicFlags64('rl', 'rh'), 0];
    }
  }
}

/** Source operand `b` of size 4 or 8 (register or immediate) as [lo, hi] expressions. */
function srcRI(ctx: EmitCtx, d: DecodedInsn, sz: number): [string, string] | null {
  if (d.k1 === OpK.Gpr && d.s1 === sz && d.r1 < 16) return [ctx.lo(d.r1), sz === 8 ? ctx.hi(d.r1) : '0'];
  if (d.k1 === OpK.Imm) return [`(${d.imm | 0})`, `(${d.immHi | 0})`];
  return null;
}

function alu(ctx: EmitCtx, d: DecodedInsn, op: AluOp, writes: boolean): InsnPlan | null {
  const sz = d.s0;
  if (d.opCount !== 2 || d.lock) return null;
  if (sz === 1 || sz === 2) return aluNarrow(ctx, d, op, writes);
  if (sz !== 4 && sz !== 8) return null;
  if (d.k0 === OpK.Gpr) {
    const r0 = d.r0;
    let pre = '';
    let b: [string, string] | null;
    let mem = false;
    if (d.k1 === OpK.Mem) {
      if (d.s1 !== sz || !memSupported(ctx, d)) return null;
      pre = emitLoad(ctx, d, sz, 'm', 'mh') + ' ';
      b = ['m', 'mh'];
      mem = true;
    } else {
      b = srcRI(ctx, d, sz);
    }
    if (b === null) return null;
    if (sz === 4) {
      const [code, flags, fr] = op32(op, ctx.lo(r0), b[0]);
      return { pre: pre + code, flags, fw: ALL, fr, post: writes ? ctx.set32(r0, 'r') : '', mem, branch: null };
    }
    const [code, flags, fr] = op64(op, ctx.lo(r0), ctx.hi(r0), b[0], b[1]);
    return { pre: pre + code, flags, fw: ALL, fr, post: writes ? ctx.set64(r0, 'rl', 'rh') : '', mem, branch: null };
  }
  if (d.k0 !== OpK.Mem || !memSupported(ctx, d)) return null;
  const b = srcRI(ctx, d, sz);
  if (b === null) return null;
  if (!writes) {
    const load = emitLoad(ctx, d, sz, 'm', 'mh');
    const [code, flags, fr] = sz === 4 ? op32(op, 'm', b[0]) : op64(op, 'm', 'mh', b[0], b[1]);
    return { pre: `${load} ${code}`, flags, fw: ALL, fr, post: '', mem: true, branch: null };
  }
  const [load, store] = emitRmw(ctx, d, sz, 'm', 'mh', sz === 4 ? 'r' : 'rl', 'rh');
  const [code, flags, fr] = sz === 4 ? op32(op, 'm', b[0]) : op64(op, 'm', 'mh', b[0], b[1]);
  return { pre: `${load} ${code} ${store}`, flags, fw: ALL, fr, post: '', mem: true, branch: null };
}

/** INC / DEC / NEG / NOT on a register or memory operand of 4 or 8 bytes. */
function unary(ctx: EmitCtx, d: DecodedInsn, m: number): InsnPlan | null {
  const sz = d.s0;
  if (d.opCount !== 1 || d.lock) return null;
  if (sz === 1 || sz === 2) return unaryNarrow(ctx, d, m);
  if (sz !== 4 && sz !== 8) return null;
  let code: string;
  let flags: FlagExprs = {};
  let fw = ALL;
  const op = m === Mnemonic.Inc ? 'add' : 'sub';
  if (sz === 4) {
    if (m === Mnemonic.Not) [code, fw] = ['const r = ~a;', 0];
    else if (m === Mnemonic.Neg) [code, flags] = ['const r = (0 - a) | 0;', subFlags32('0', 'a', 'r', null)];
    else {
      [code, flags] = op32(op, 'a', '1');
      fw = ALL & ~CF;
    }
  } else if (m === Mnemonic.Not) [code, fw] = ['const rl = ~a; const rh = ~ah;', 0];
  else if (m === Mnemonic.Neg) [code, flags] = op64('sub', '0', '0', 'a', 'ah');
  else {
    [code, flags] = op64(op, 'a', 'ah', '1', '0');
    fw = ALL & ~CF;
  }
  const rl = sz === 4 ? 'r' : 'rl';
  if (d.k0 === OpK.Gpr) {
    const pre = `const a = ${ctx.lo(d.r0)}, ah = ${ctx.hi(d.r0)}; ${code}`;
    const post = sz === 4 ? ctx.set32(d.r0, rl) : ctx.set64(d.r0, rl, 'rh');
    return { pre, flags, fw, fr: 0, post, mem: false, branch: null };
  }
  if (d.k0 !== OpK.Mem || !memSupported(ctx, d)) return null;
  const [load, store] = emitRmw(ctx, d, sz, 'a', 'ah', rl, 'rh');
  return { pre: `${load} ${code} ${store}`, flags, fw, fr: 0, post: '', mem: true, branch: null };
}

function mov(ctx: EmitCtx, d: DecodedInsn): InsnPlan | null {
  const sz = d.s0;
  if (d.opCount !== 2) return null;
  if (d.k0 === OpK.Gpr) {
    if (sz === 1 || sz === 2) return movNarrowReg(ctx, d);
    if (sz !== 4 && sz !== 8) return null;
    if (d.k1 === OpK.Mem) {
      if (d.s1 !== sz || !memSupported(ctx, d)) return null;
      const pre = emitLoad(ctx, d, sz, 'm', 'mh');
      return plain(pre, sz === 4 ? ctx.set32(d.r0, 'm') : ctx.set64(d.r0, 'm', 'mh'), true);
    }
    const b = srcRI(ctx, d, sz);
    if (b === null) return null;
    return plain(`const v = ${b[0]}, vh = ${b[1]};`, sz === 4 ? ctx.set32(d.r0, 'v') : ctx.set64(d.r0, 'v', 'vh'), false);
  }
  if (d.k0 !== OpK.Mem || !memSupported(ctx, d)) return null;
  if (d.k1 === OpK.Gpr && d.s1 === sz) {
    if (sz === 4 || sz === 8) {
      const pre = `const v = ${ctx.lo(d.r1)}, vh = ${ctx.hi(d.r1)}; ${emitStore(ctx, d, sz, 'v', 'vh')}`;
      return plain(pre, '', true);
    }
    if (sz === 1 || sz === 2) return plain(`const v = ${narrowReg(ctx, d.r1, sz)}; ${emitStore(ctx, d, sz, 'v', '0')}`, '', true);
    return null;
  }
  if (d.k1 === OpK.Imm && (sz === 1 || sz === 2 || sz === 4 || sz === 8)) {
    return plain(`const v = ${d.imm | 0}, vh = ${d.immHi | 0}; ${emitStore(ctx, d, sz, 'v', 'vh')}`, '', true);
  }
  return null;
}

/** MOVZX / MOVSX / MOVSXD into a 32- or 64-bit register. */
function movx(ctx: EmitCtx, d: DecodedInsn, m: number): InsnPlan | null {
  const sz = d.s0;
  const ss = d.s1;
  if ((sz !== 4 && sz !== 8) || d.opCount !== 2 || d.k0 !== OpK.Gpr) return null;
  const signed = m !== Mnemonic.Movzx;
  if (!(ss === 1 || ss === 2 || (ss === 4 && m === Mnemonic.Movsxd))) return null;
  let pre: string;
  let src: string;
  let mem = false;
  if (d.k1 === OpK.Gpr) {
    pre = '';
    src = ss === 4 ? ctx.lo(d.r1) : narrowReg(ctx, d.r1, ss);
  } else if (d.k1 === OpK.Mem && memSupported(ctx, d)) {
    pre = emitLoad(ctx, d, ss, 'm', 'mh') + ' ';
    src = 'm';
    mem = true;
  } else {
    return null;
  }
  const ext = !signed || ss === 4 ? `(${src} | 0)` : ss === 1 ? `((${src} << 24) >> 24)` : `((${src} << 16) >> 16)`;
  pre += `const v = ${ext};`;
  if (sz === 4) return plain(pre, ctx.set32(d.r0, 'v'), mem);
  return plain(pre, ctx.set64(d.r0, 'v', signed ? '(v >> 31)' : '0'), mem);
}

function lea(ctx: EmitCtx, d: DecodedInsn): InsnPlan | null {
  const sz = d.s0;
  if (d.k0 !== OpK.Gpr || d.k1 !== OpK.Mem || (sz !== 4 && sz !== 8)) return null;
  if (d.addrSize === 2 || (d.addrSize === 4 && ctx.b64)) return null;
  if (sz === 4) return plain(`const v = ${eaLow32(ctx, d)};`, ctx.set32(d.r0, 'v'), false);
  if (d.addrSize !== 8) return null;
  // LEA r64 exactly modulo 2^64 (fast64.ts lea64).
  if (d.base === BASE_RIP) {
    return plain(`const e = ip0 + ${ctx.next + d.disp}; const el = e | 0; const eh = Math.floor(e / 4294967296) | 0;`, ctx.set64(d.r0, 'el', 'eh'), false);
  }
  const lo: string[] = [`${d.disp >>> 0}`];
  const hi: string[] = [`${d.disp < 0 ? -1 : 0}`];
  if (d.base >= 0) {
    lo.push(`(${ctx.lo(d.base)} >>> 0)`);
    hi.push(`(${ctx.hi(d.base)} >>> 0)`);
  }
  if (d.index >= 0) {
    lo.push(`(${ctx.lo(d.index)} >>> 0) * ${d.scale}`);
    hi.push(`(${ctx.hi(d.index)} >>> 0) * ${d.scale}`);
  }
  const pre = `const sl = ${lo.join(' + ')}; const el = sl | 0; const eh = (${hi.join(' + ')} + Math.floor(sl / 4294967296)) | 0;`;
  return plain(pre, ctx.set64(d.r0, 'el', 'eh'), false);
}

/** 32-bit register shifts and rotates by an immediate (fast.ts). */
function shift(ctx: EmitCtx, d: DecodedInsn, m: number): InsnPlan | null {
  if (d.s0 !== 4 || d.k0 !== OpK.Gpr || d.k1 !== OpK.Imm || d.opCount !== 2) return null;
  const c = d.imm & 31;
  const a = ctx.lo(d.r0);
  if (c === 0) return plain('', ctx.set32(d.r0, a), false);
  const szp = { ZF: '(r === 0 ? 64 : 0)', SF: '((r >>> 24) & 128)', PF: 'P[r & 255]' };
  let code: string;
  let flags: FlagExprs;
  let fw = ALL;
  switch (m) {
    case Mnemonic.Rol:
      code = `const r = (${a} << ${c}) | (${a} >>> ${32 - c});`;
      flags = { CF: '(r & 1)', OF: '((((r >>> 31) ^ r) & 1) << 11)' };
      fw = CF | OF;
      break;
    case Mnemonic.Ror:
      code = `const r = (${a} >>> ${c}) | (${a} << ${32 - c});`;
      flags = { CF: '(r >>> 31)', OF: '((((r >>> 31) ^ (r >>> 30)) & 1) << 11)' };
      fw = CF | OF;
      break;
    case Mnemonic.Shl:
    case Mnemonic.Sal:
      code = `const r = ${a} << ${c}; const cf = (${a} >>> ${32 - c}) & 1;`;
      flags = { ...szp, CF: 'cf', OF: '((((r >>> 31) ^ cf) & 1) << 11)' };
      break;
    case Mnemonic.Shr:
      code = `const r = ${a} >>> ${c};`;
      flags = { ...szp, CF: `((${a} >>> ${c - 1}) & 1)`, OF: `((${a} >>> 31) << 11)` };
      break;
    case Mnemonic.Sar:
      code = `const r = ${a} >> ${c};`;
      flags = { ...szp, CF: `((${a} >> ${c - 1}) & 1)` };
      break;
    default:
      return null;
  }
  return { pre: code, flags, fw, fr: 0, post: ctx.set32(d.r0, 'r | 0'), mem: false, branch: null };
}

function branch(ctx: EmitCtx, d: DecodedInsn, m: number): InsnPlan | null {
  if (d.k0 !== OpK.Branch || d.opCount !== 1) return null;
  if (!ctx.b64 && d.s0 !== 4) return null;
  const cc = m === Mnemonic.Jmp ? 0 : d.cond;
  if (m !== Mnemonic.Jmp && cc === 0) return null;
  return { pre: '', flags: {}, fw: 0, fr: cc === 0 ? 0 : condReads(cc), post: '', mem: false, branch: { kind: 'jcc', cond: cc, rel: d.rel, pre: '', post: '' } };
}

// ---- stack: PUSH/POP register or immediate, CALL rel, RET (stack.ts, branch.ts) ----------------
// The stack width is the mode's natural one (SS.B = 1 outside 64-bit mode): the block checks
// cpu.stackSize at entry.

/** Stack-pointer offset declarations (offsetDecl style): [the new top after a push of sz, the current top]. */
function spOffsets(ctx: EmitCtx, sz: number): [string, string] {
  ctx.usesStack = true;
  const l = ctx.lo(4);
  if (ctx.b64) {
    const h = ctx.hi(4);
    const push = `const osl = (${l} >>> 0) - ${sz}; ${halves64('(osl | 0)', `((${h} - (osl < 0 ? 1 : 0)) | 0)`)}`;
    return [push, halves64(l, h)];
  }
  return [`const o = (${l} - ${sz}) >>> 0;`, `const o = ${l} >>> 0;`];
}

/** `RSP = o + delta` (64-bit) or `ESP = (o + delta) mod 2^32`, where `o` is the access offset. */
function setSpFrom(ctx: EmitCtx, delta: number): string {
  const v = delta === 0 ? 'o' : `(o + ${delta})`;
  if (ctx.b64) return ctx.set64(4, `(${v} | 0)`, `(Math.floor(${v} / 4294967296) | 0)`);
  return ctx.set32(4, `(${v} | 0)`);
}

function stackSize(ctx: EmitCtx, d: DecodedInsn): number {
  if (ctx.b64) return d.osz === 2 ? 2 : 8;
  return d.osz;
}

function push(ctx: EmitCtx, d: DecodedInsn): InsnPlan | null {
  const sz = stackSize(ctx, d);
  if (sz !== (ctx.b64 ? 8 : 4) || d.opCount !== 1) return null;
  let v: string;
  let vh: string;
  if (d.k0 === OpK.Gpr && d.r0 < 16) [v, vh] = [ctx.lo(d.r0), ctx.hi(d.r0)];
  else if (d.k0 === OpK.Imm) [v, vh] = [`${d.imm | 0}`, `${d.immHi | 0}`];
  else return null;
  const [top] = spOffsets(ctx, sz);
  const pre = `const v = ${v}, vh = ${vh}; ${emitStoreAt(ctx, 2, top, sz, 'v', 'vh')}`;
  return plain(pre, setSpFrom(ctx, 0), true);
}

function pop(ctx: EmitCtx, d: DecodedInsn): InsnPlan | null {
  const sz = stackSize(ctx, d);
  if (sz !== (ctx.b64 ? 8 : 4) || d.opCount !== 1 || d.k0 !== OpK.Gpr || d.r0 >= 16) return null;
  const [, cur] = spOffsets(ctx, sz);
  const pre = emitLoadAt(ctx, 2, cur, sz, 'v', 'vh');
  const post = `${setSpFrom(ctx, sz)} ${sz === 8 ? ctx.set64(d.r0, 'v', 'vh') : ctx.set32(d.r0, 'v')}`;
  return plain(pre, post, true);
}

function call(ctx: EmitCtx, d: DecodedInsn): InsnPlan | null {
  if (d.k0 !== OpK.Branch || d.opCount !== 1) return null;
  const sz = ctx.b64 ? 8 : d.s0;
  if (sz !== (ctx.b64 ? 8 : 4)) return null;
  const [top] = spOffsets(ctx, sz);
  const ra = `ip0 + ${ctx.next}`;
  const pre = `const v = (${ra}) | 0, vh = ${ctx.b64 ? `Math.floor((${ra}) / 4294967296) | 0` : '0'}; ${emitStoreAt(ctx, 2, top, sz, 'v', 'vh')}`;
  return { ...plain('', '', true), branch: { kind: 'call', cond: 0, rel: d.rel, pre, post: setSpFrom(ctx, 0) } };
}

function ret(ctx: EmitCtx, d: DecodedInsn): InsnPlan | null {
  const sz = stackSize(ctx, d);
  if (sz !== (ctx.b64 ? 8 : 4)) return null;
  let extra = 0;
  if (d.opCount === 1 && d.k0 === OpK.Imm) extra = d.imm & 0xffff;
  else if (d.opCount !== 0) return null;
  const [, cur] = spOffsets(ctx, sz);
  const t = ctx.b64 ? 'const t = vh * 4294967296 + (v >>> 0);' : 'const t = v >>> 0;';
  const pre = `${emitLoadAt(ctx, 2, cur, sz, 'v', 'vh')} ${t}`;
  return { ...plain('', '', true), branch: { kind: 'ret', cond: 0, rel: 0, pre, post: setSpFrom(ctx, sz + extra) } };
}

const SHIFTS = new Set<number>([Mnemonic.Rol, Mnemonic.Ror, Mnemonic.Shl, Mnemonic.Sal, Mnemonic.Shr, Mnemonic.Sar]);
const UNARY = new Set<number>([Mnemonic.Inc, Mnemonic.Dec, Mnemonic.Neg, Mnemonic.Not]);

/** The code plan for `d`, or null when the compiler leaves it to the interpreter. */
export function plan(ctx: EmitCtx, d: DecodedInsn): InsnPlan | null {
  if (d.rep !== 0 || d.lock) return null;
  if (EXIT_SITES.has(d.handler)) {
    ctx.usesExitSite = true;
    return ctx.b64 && d.handler !== clts ? EXIT_SITE_8 : EXIT_SITE_4;
  }
  const m = d.mnemonic;
  const a = ALU.get(m);
  if (a !== undefined) return alu(ctx, d, a[0], a[1]);
  if (UNARY.has(m)) return unary(ctx, d, m);
  if (m === Mnemonic.Mov) return mov(ctx, d);
  if (m === Mnemonic.Movzx || m === Mnemonic.Movsx || m === Mnemonic.Movsxd) return movx(ctx, d, m);
  if (m === Mnemonic.Lea) return lea(ctx, d);
  if (SHIFTS.has(m)) return shift(ctx, d, m);
  if (m === Mnemonic.Nop && d.k0 !== OpK.Other) return plain('', '', false);
  if (m === Mnemonic.Jmp || (d.cond !== 0 && d.k0 === OpK.Branch && isJcc(d))) return branch(ctx, d, m);
  if (m === Mnemonic.Push) return push(ctx, d);
  if (m === Mnemonic.Pop) return pop(ctx, d);
  if (m === Mnemonic.Call) return call(ctx, d);
  if (m === Mnemonic.Ret) return ret(ctx, d);
  return null;
}

function isJcc(d: DecodedInsn): boolean {
  // Jcc are the only instructions with a condition code and a relative branch operand apart from
  // LOOPcc (cond ZF), which also changes ECX: exclude the LOOP family by mnemonic.
  return d.mnemonic !== Mnemonic.Loope && d.mnemonic !== Mnemonic.Loopne;
}
