/**
 * Memory operands as JavaScript source: the effective address, then an inline fast path
 * (segment limit and rights as loaded at block entry, 64-bit canonical check, TLB hit with the
 * access's permission bit, RAM bounds, no page crossing; stores also need Memory.codePages = 0),
 * else the interpreter's own slow path (cpu.read / cpu.write / Memory), which faults exactly as
 * the interpreter does. After a slow path the block ends at the next instruction boundary when
 * anything it relies on may have changed (see SLOW_CHECK).
 */
import { BASE_RIP, type DecodedInsn } from '../decoded.ts';
import type { EmitCtx } from './ctx.ts';

/** After Jit.read/write: a #PF it returned leaves the block (compile.ts's epilogue hands it over). */
const FAULT_CHECK = 'if (J.fault !== null) break out;';

/** After a slow path: leave the block if the mode/TLB epoch moved, the block died, or the run must stop. */
const SLOW_CHECK =
  'cvR = -1; cvW = -1; if (J.epoch !== EP || !blk.valid || cpu.stopReason !== null || cpu.pending !== null) bail = true;';

/** Can the compiler address this memory operand? */
export function memSupported(ctx: EmitCtx, d: DecodedInsn): boolean {
  if (d.addrSize === 2) return false;
  if (d.addrSize === 4 && d.base === BASE_RIP) return false;
  if (ctx.b64 && d.addrSize === 4) return false; // 0x67 in 64-bit mode: rare, leave to the interpreter
  if (d.seg < 0 || d.seg > 5) return false;
  if ((d.disp | 0) !== d.disp) return false; // 64-bit moffs
  return true;
}

function shiftOf(scale: number): number {
  return scale === 8 ? 3 : scale === 4 ? 2 : scale === 2 ? 1 : 0;
}

/** Low 32 bits of the effective address as an int32 expression (exact modulo 2^32). */
export function eaLow32(ctx: EmitCtx, d: DecodedInsn): string {
  if (d.base === BASE_RIP) return `((ip0 + ${ctx.next + d.disp}) | 0)`;
  const parts: string[] = [];
  if (d.base >= 0) parts.push(ctx.lo(d.base));
  if (d.index >= 0) {
    const s = shiftOf(d.scale);
    parts.push(s === 0 ? ctx.lo(d.index) : `(${ctx.lo(d.index)} << ${s})`);
  }
  if (d.disp !== 0 || parts.length === 0) parts.push(`${d.disp | 0}`);
  return `((${parts.join(' + ')}) | 0)`;
}

/**
 * Declares the offset within the segment: `o`, a uint32 for 32-bit addressing; for 64-bit
 * addressing also its halves `ol`/`oh` (int32) and `o` as the signed-canonical style number of
 * operands.ts ea() (used by the slow paths only).
 */
export function offsetDecl(ctx: EmitCtx, d: DecodedInsn): string {
  if (d.addrSize === 4) return `const o = ${eaLow32(ctx, d)} >>> 0;`;
  if (d.base === BASE_RIP) return split64(`ip0 + ${ctx.next + d.disp}`);
  if (d.index < 0 && d.base >= 0) {
    const l = ctx.lo(d.base);
    const h = ctx.hi(d.base);
    if (d.disp === 0) return halves64(l, h);
    const sl = `const osl = (${l} >>> 0) + ${d.disp >>> 0};`;
    return `${sl} ${halves64('(osl | 0)', `((${h} + ${d.disp < 0 ? -1 : 0} + (osl > 4294967295 ? 1 : 0)) | 0)`)}`;
  }
  const lo: string[] = [`${d.disp >>> 0}`];
  const hi: string[] = [`${d.disp < 0 ? -1 : 0}`];
  if (d.base >= 0) {
    lo.push(`(${ctx.lo(d.base)} >>> 0)`);
    hi.push(ctx.hi(d.base));
  }
  if (d.index >= 0) {
    lo.push(`(${ctx.lo(d.index)} >>> 0) * ${d.scale}`);
    hi.push(`${ctx.hi(d.index)} * ${d.scale}`);
  }
  return `const osl = ${lo.join(' + ')}; ${halves64('(osl | 0)', `((${hi.join(' + ')} + Math.floor(osl / 4294967296)) | 0)`)}`;
}

/** 64-bit offset from int32 halves. */
export function halves64(l: string, h: string): string {
  return `const ol = ${l}, oh = ${h}; const o = oh * 4294967296 + (ol >>> 0);`;
}

/** 64-bit offset from an exact number. */
export function split64(v: string): string {
  return `const o = ${v}; const ol = o | 0, oh = Math.floor(o / 4294967296) | 0;`;
}

/**
 * `pa = …` for linear `x` (declared) and permission `perm`; leaves -1 when the fast path does not
 * apply. The last page translated through the TLB for reads (cvR/cbR) and for writes (cvW/cbW,
 * which also serves reads: a write permission implies read) is remembered for the rest of the
 * block run; any slow path forgets it (it may have flushed the TLB).
 */
function translate(ctx: EmitCtx, sz: number, write: boolean): string {
  const perm = write ? 'PW' : 'PR';
  if (ctx.b64) {
    // Linear address as int32 halves xl/xh; the page is (xh, xl >>> 12), the TLB's vpn the exact
    // floor(linear / 4096) the MMU computes.
    const cached = write ? 'pg === cvW && xh === chW' : '(pg === cvR && xh === chR) || (pg === cvW && xh === chW)';
    const hit = write ? 'cbW' : '(pg === cvR && xh === chR ? cbR : cbW)';
    const remember = write ? 'cvW = pg; chW = xh; cbW = fb; cvR = pg; chR = xh; cbR = fb;' : 'cvR = pg; chR = xh; cbR = fb;';
    return (
      `if ((xh >> 15) === (xh >> 31) && (xl & 4095) <= ${4096 - sz}) { const pg = xl >>> 12;` +
      ` if (${cached}) pa = ${hit} + (xl & 4095);` +
      ` else if (XM === 0) { if (xh === 0 && (xl >>> 0) + ${sz} <= ramSize) pa = xl >>> 0; }` +
      ` else if (XM === 1) { const vp = xh * 1048576 + pg; const ti = (vp ^ tlb.salt) & TM;` +
      ` if (TT[ti] === vp) { const tc = TC[ti]; if ((tc === tlb.current || tc === tlb.global) && (TP[ti] & ${perm}) !== 0) {` +
      ` const fb = TF[ti]; if (fb + 4096 <= ramSize) { pa = fb + (xl & 4095); ${remember} } } } } }`
    );
  }
  const cached = write ? `pg === cvW` : `pg === cvR || pg === cvW`;
  const hit = write ? 'cbW' : '(pg === cvR ? cbR : cbW)';
  const remember = write ? 'cvW = pg; cbW = fb; cvR = pg; cbR = fb;' : 'cvR = pg; cbR = fb;';
  return (
    `if ((x & 4095) <= ${4096 - sz}) { const pg = x >>> 12;` +
    ` if (${cached}) pa = ${hit} + (x & 4095);` +
    ` else if (XM === 0) { pa = x; if (pa + ${sz} > ramSize) pa = -1; }` +
    ` else if (XM === 1) { const ti = (pg ^ tlb.salt) & TM;` +
    ` if (TT[ti] === pg) { const tc = TC[ti]; if ((tc === tlb.current || tc === tlb.global) && (TP[ti] & ${perm}) !== 0) {` +
    ` const fb = TF[ti]; if (fb + 4096 <= ramSize) { pa = fb + (x & 4095); ${remember} } } } } }`
  );
}

/** After the offset declaration `decl` (offsetDecl) in segment `s`: declares `pa` (fast-path physical address or -1) for an access of `sz` bytes. */
function locateAt(ctx: EmitCtx, s: number, decl: string, sz: number, write: boolean): string {
  ctx.usesMem = true;
  ctx.segs.add(s);
  let code = `${decl} let pa = -1;`;
  if (ctx.b64) {
    const lin = s >= 4 ? `const xd = SB${s} + o; const xl = xd | 0, xh = Math.floor(xd / 4294967296) | 0;` : 'const xl = ol, xh = oh;';
    code += ` { ${lin} ${translate(ctx, sz, write)} }`;
  } else {
    code += ` if (o + ${sz - 1} <= ${write ? 'SW' : 'SR'}${s}) { const x = (SB${s} + o) >>> 0; ${translate(ctx, sz, write)} }`;
  }
  return code;
}

function fastRead(sz: number, pa: string): string {
  if (sz === 1) return `ram[${pa}]`;
  if (sz === 2) return `view.getUint16(${pa}, true)`;
  return `view.getInt32(${pa}, true)`;
}

function slowRead(s: number, sz: number, v: string, vh: string): string {
  if (sz === 8) return `${v} = mem.readLinPair(mem.linear(${s}, o, 8, false), U) | 0; ${vh} = mem.pairHi | 0; ${SLOW_CHECK}`;
  return `${v} = J.read(cpu, ${s}, o, ${sz}) | 0; ${FAULT_CHECK} ${SLOW_CHECK}`;
}

/** Load `sz` bytes at segment `s`, offset declared by `off` (offsetDecl), into new locals `v` (and `vh` for 8). */
export function emitLoadAt(ctx: EmitCtx, s: number, off: string, sz: number, v: string, vh: string): string {
  const fast = sz === 8 ? `${v} = view.getInt32(pa, true); ${vh} = view.getInt32(pa + 4, true);` : `${v} = ${fastRead(sz, 'pa')};`;
  return `${locateAt(ctx, s, off, sz, false)} let ${v} = 0, ${vh} = 0; if (pa >= 0) { ${fast} } else { ${slowRead(s, sz, v, vh)} }`;
}

/** Load the instruction's memory operand (`sz` bytes): zero-extended for 1/2, int32 halves otherwise. */
export function emitLoad(ctx: EmitCtx, d: DecodedInsn, sz: number, v: string, vh: string): string {
  return emitLoadAt(ctx, d.seg, offsetDecl(ctx, d), sz, v, vh);
}

/** Store `val` (int32; `valh` for 8 bytes). Uses `o` and `pa` from locateAt. */
function storeTail(s: number, sz: number, val: string, valh: string): string {
  let fast: string;
  let phys: string;
  let slow: string;
  if (sz === 8) {
    fast = `view.setInt32(pa, ${val}, true); view.setInt32(pa + 4, ${valh}, true);`;
    phys = `mem.writePhys(pa, 4, ${val} >>> 0); mem.writePhys(pa + 4, 4, ${valh} >>> 0);`;
    slow = `mem.writeLinPair(mem.linear(${s}, o, 8, true), ${val} >>> 0, ${valh} >>> 0, U);`;
  } else {
    const mask = sz === 4 ? `${val} >>> 0` : sz === 2 ? `${val} & 65535` : `${val} & 255`;
    fast = sz === 4 ? `view.setInt32(pa, ${val}, true);` : sz === 2 ? `view.setUint16(pa, ${mask}, true);` : `ram[pa] = ${mask};`;
    phys = `mem.writePhys(pa, ${sz}, ${mask});`;
    slow = `J.write(cpu, ${s}, o, ${sz}, ${mask}); ${FAULT_CHECK}`;
  }
  return `if (pa >= 0) { if (codePages[pa >>> 12] === 0) { ${fast} } else { ${phys} ${SLOW_CHECK} } } else { ${slow} ${SLOW_CHECK} }`;
}

/** Store `sz` bytes at segment `s`, offset declared by `off` (offsetDecl). */
export function emitStoreAt(ctx: EmitCtx, s: number, off: string, sz: number, val: string, valh: string): string {
  return `${locateAt(ctx, s, off, sz, true)} ${storeTail(s, sz, val, valh)}`;
}

export function emitStore(ctx: EmitCtx, d: DecodedInsn, sz: number, val: string, valh: string): string {
  return emitStoreAt(ctx, d.seg, offsetDecl(ctx, d), sz, val, valh);
}

/**
 * Read-modify-write: `pa` is translated for a write (a write permission implies read); the
 * slow path reads and writes through the interpreter's functions in its order. Returns
 * [load code, store code]; the caller puts the computation between them.
 */
export function emitRmw(ctx: EmitCtx, d: DecodedInsn, sz: number, v: string, vh: string, val: string, valh: string): [string, string] {
  const fast = sz === 8 ? `${v} = view.getInt32(pa, true); ${vh} = view.getInt32(pa + 4, true);` : `${v} = ${fastRead(sz, 'pa')};`;
  const load = `${locateAt(ctx, d.seg, offsetDecl(ctx, d), sz, true)} let ${v} = 0, ${vh} = 0; if (pa >= 0) { ${fast} } else { ${slowRead(d.seg, sz, v, vh)} }`;
  return [load, storeTail(d.seg, sz, val, valh)];
}
