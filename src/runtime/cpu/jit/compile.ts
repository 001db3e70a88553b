/**
 * Block discovery and assembly: collects the decoded instructions of one code page from the head
 * on (up to and including the first branch; an unsupported instruction ends the block before it),
 * and turns their plans (insn-emit.ts) into one JavaScript function. A block whose branch targets
 * its own start becomes a loop inside the function, bounded by the instruction budget.
 *
 * Registers live in int32 locals L<n>/H<n>, the flags in `f`; they are written back when the
 * block exits and, on an exception, as they were after the last completed instruction (each
 * instruction changes no local before its last possible fault), with cpu.ip at the faulting
 * instruction and Jit.started = instructions started.
 *
 * An exit site (MOV CR, CLTS) stores the locals, runs the instruction's interpreter handler with
 * cpu.ip/nextIp set as execute() would, and reloads the locals; the block goes on only while the
 * handler left RIP and the block's bytes alone, nothing must stop the run or deliver an event,
 * and the mode/TLB epoch stayed (or, in a block without memory operands, the code page still
 * maps to the same frame in the same mode: Jit.resumeAfterExit). A control-register exit no longer returns to the run loop for a fetch
 * and dispatch (issue 7).
 */
import { Flag, Seg } from '../state.ts';
import type { DecodedInsn } from '../decoded.ts';
import { PARITY } from '../core/flags.ts';
import type { BlockFn } from './block.ts';
import { EmitCtx } from './ctx.ts';
import { ALL, condExpr, flagStore } from './flags-emit.ts';
import { plan, type InsnPlan } from './insn-emit.ts';
import { liveAfter } from './liveness.ts';

/** Longest block, in instructions. */
const MAX_INSNS = 64;
const CANON = 0x800000000000;

export interface BlockCode {
  fn: BlockFn;
  count: number;
  bytes: number;
  loops: boolean;
  /** The decoded instructions, in order (exit sites call their handlers through JitBlock.insns). */
  insns: DecodedInsn[];
}

/** Compiled functions by source text: blocks with the same bytes share one function. */
const sourceCache = new Map<string, BlockFn>();
/** Past this many distinct sources the cache starts over (bounded memory; blocks keep their functions). */
const SOURCE_CACHE_MAX = 4096;

/**
 * Compile the block starting at page offset `off` (`at(o)` = the decoded instruction at page
 * offset o, if any), for `bitness` 32 or 64. Null when fewer than two instructions (or no loop) qualify.
 */
export function compileBlock(at: (off: number) => DecodedInsn | undefined, off: number, bitness: number): BlockCode | null {
  const ctx = new EmitCtx(bitness === 64);
  const insns: DecodedInsn[] = [];
  const plans: InsnPlan[] = [];
  const offs: number[] = [];
  let o = off;
  while (insns.length < MAX_INSNS && o < 4096) {
    const d = at(o);
    if (d === undefined || o + d.length > 4096) break;
    ctx.off = o - off;
    ctx.next = ctx.off + d.length;
    ctx.k = insns.length;
    const p = plan(ctx, d);
    if (p === null) break;
    insns.push(d);
    plans.push(p);
    offs.push(o - off);
    o += d.length;
    if (p.branch !== null) break;
  }
  const count = insns.length;
  if (count === 0) return null;
  const bytes = o - off;
  offs.push(bytes);
  const last = plans[count - 1]!.branch;
  const loops = last !== null && last.kind !== 'ret' && last.rel + bytes === 0;
  if (count < 2 && !loops) return null;
  const source = assemble(ctx, plans, offs, last, loops);
  let fn = sourceCache.get(source);
  if (fn === undefined) {
    const factory = new Function('P', `"use strict";\n${source}`) as (p: Uint8Array) => BlockFn;
    fn = factory(PARITY);
    if (sourceCache.size >= SOURCE_CACHE_MAX) sourceCache.clear();
    sourceCache.set(source, fn);
  }
  return { fn, count, bytes, loops, insns };
}

function assemble(ctx: EmitCtx, plans: InsnPlan[], offs: number[], last: InsnPlan['branch'], loops: boolean): string {
  const count = plans.length;
  const bytes = offs[count]!;
  const b64 = ctx.b64;
  const live = liveAfter(plans);
  const regs = [...ctx.regs].sort((a, b) => a - b);
  const written = [...ctx.written].sort((a, b) => a - b);
  const wb = `${written.map((r) => `lo[${r}] = L${r}; hi[${r}] = H${r};`).join(' ')} cpu.flags = f;`;
  const body: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = plans[i]!;
    if (p.branch !== null) break;
    if (p.exitSite === true) {
      const next = ctx.ipAt(offs[i + 1]!);
      // A moved epoch ends a block with memory operands (its TLB view is stale); another may
      // go on if its code page still maps where it did (Jit.resumeAfterExit).
      const moved = ctx.usesMem ? 'J.epoch !== EP' : `(J.epoch !== EP && !J.resumeAfterExit(cpu, blk, ${next}, ${ctx.b64 ? 64 : 32}))`;
      const reload = regs.map((r) => `L${r} = lo[${r}] | 0; H${r} = hi[${r}] | 0;`).join(' ');
      body.push(
        // The exit object the interpreter handler made and cached on the instruction (system.ts
        // crExit; none for CR2, a LOCK prefix or a bad CR number) is handed to the monitor
        // directly at CPL 0 outside v86 mode, where the handler's checks would pass.
        `k = ${i}; { ${wb} cpu.ip = ${ctx.ipAt(offs[i]!)}; cpu.nextIp = ${next}; const d = blk.insns[${i}]; J.exitSiteCalls++;` +
          ` if (d.exit !== null && d.exitSize === ${p.exitSize} && cpu.cpl === 0 && (f & ${Flag.VM}) === 0) {` +
          // The monitor's handler for this exit (Monitor.crExitHandler) called from this site, as
          // Cpu.exitCr would call handleCrAccess: one target per site, which V8 may inline.
          ` const fn = d.exitFn; if (fn === null) cpu.exitCr(d.exit); else { cpu.stats.exits.slots[d.exitSlot]++; cpu.nextIp = cpu.ip; const o = fn(cpu); if (o.kind === 'stop') cpu.stopReason = o.reason; } }` +
          ` else d.handler(cpu, d);` +
          ` ${reload} f = cpu.flags | 0;` +
          ` if (cpu.nextIp !== ${next} || !blk.valid || cpu.stopReason !== null || cpu.pending !== null || ${moved}) { n += ${i + 1}; xip = cpu.nextIp; break out; }` +
          (ctx.usesMem ? ' }' : ' EP = J.epoch; }'),
      );
      continue;
    }
    const lv = live[i]!;
    let fl = flagStore(p.flags, p.fw, lv);
    if (p.mem && (p.fw & ALL & ~lv) !== 0) fl = `if (bail) { ${flagStore(p.flags, p.fw, ALL)} } else { ${fl} }`;
    body.push(`${p.mem ? `k = ${i}; ` : ''}{ ${p.pre} ${fl} ${p.post} }`);
    if (p.mem) body.push(`if (bail) { n += ${i + 1}; xip = ${ctx.ipAt(offs[i + 1]!)}; break out; }`);
  }
  // The end of the block.
  const fallIp = ctx.ipAt(bytes);
  if (last === null) {
    body.push(`n += ${count}; xip = ${fallIp}; break out;`);
  } else {
    const j = count - 1;
    const deopt = `n += ${j}; xip = ${ctx.ipAt(offs[j]!)}; break out;`;
    const badT = b64 ? `t < ${-CANON} || t >= ${CANON}` : `t > CSL`;
    if (last.kind === 'ret') {
      // The popped target is checked before anything changes (a bad one: the interpreter faults on it).
      body.push(`k = ${j}; { ${last.pre} if (${badT}) { ${deopt} } ${last.post} n += ${count}; xip = t; break out; }`);
    } else {
      let taken: string;
      if (loops) {
        taken = `n += ${count}; if (n + ${count} > max) { xip = ip0; break out; } continue;`;
      } else {
        const t = b64 ? `ip0 + ${bytes + last.rel}` : `(ip0 + ${bytes + last.rel}) >>> 0`;
        // A target the interpreter would fault on: leave before the branch, it runs it again.
        taken = `const t = ${t}; if (${badT}) { ${deopt} } ${last.pre} ${last.post} n += ${count}; xip = t; break out;`;
      }
      if (last.kind === 'call') body.push(`k = ${j}; { ${taken} }`);
      else if (last.cond === 0) body.push(`{ ${taken} }`);
      else body.push(`if (${condExpr(last.cond)}) { ${taken} } n += ${count}; xip = ${fallIp}; break out;`);
    }
  }

  const pro: string[] = [];
  pro.push('const ip0 = cpu.ip;');
  pro.push(`if (max < ${count}) return 0;`);
  if (!b64) pro.push(`const CSL = cpu.seg[${Seg.CS}].limit; if (ip0 + ${bytes - 1} > CSL) return 0;`);
  if (ctx.usesStack) pro.push(`if (cpu.stackSize !== ${b64 ? 8 : 4}) return 0;`);
  pro.push('const J = cpu.decoded.jit; const lo = cpu.lo, hi = cpu.hi;');
  if (regs.length > 0) pro.push(`let ${regs.map((r) => `L${r} = lo[${r}] | 0, H${r} = hi[${r}] | 0`).join(', ')};`);
  pro.push('let f = cpu.flags | 0; let n = 0, k = 0, xip = ip0;');
  if (ctx.usesMem) {
    pro.push('const mem = cpu.mem, view = mem.view, ram = mem.ram, ramSize = mem.ramSize, codePages = mem.codePages;');
    pro.push('const U = cpu.cpl === 3; const XM = J.prepare(cpu); const tlb = J.tlb;');
    pro.push('const TT = tlb.tag, TC = tlb.ctx, TP = tlb.perm, TF = tlb.frame, TM = tlb.mask;');
    pro.push('const PR = 1 << (U ? 3 : (f & 262144) !== 0 ? 6 : 0), PW = PR << 1; const EP = J.epoch; let bail = false; let cvR = -1, chR = 0, cbR = 0, cvW = -1, chW = 0, cbW = 0;');
    if (!b64) {
      pro.push('const PM = cpu.protectedMode && (f & 131072) === 0;');
      for (const s of ctx.segs) {
        pro.push(
          `const S${s} = cpu.seg[${s}], SB${s} = S${s}.base, SX${s} = (S${s}.type & 12) !== 4;` +
            ` const SR${s} = SX${s} && (!PM || (S${s}.usable && (S${s}.type & 10) !== 8)) ? S${s}.limit : -1;` +
            ` const SW${s} = SX${s} && (!PM || (S${s}.usable && (S${s}.type & 10) === 2)) ? S${s}.limit : -1;`,
        );
      }
    } else {
      for (const s of ctx.segs) if (s >= Seg.FS) pro.push(`const SB${s} = cpu.seg[${s}].base;`);
    }
  }
  if (ctx.usesExitSite && !ctx.usesMem) pro.push('let EP = J.epoch;');
  const ipk = b64 ? 'ip0 + OFFS[k]' : '(ip0 + OFFS[k]) >>> 0';
  const ipk1 = b64 ? 'ip0 + OFFS[k + 1]' : '(ip0 + OFFS[k + 1]) >>> 0';
  return [
    `const OFFS = [${offs.join(', ')}];`,
    'return function block(cpu, max, blk) {',
    ...pro,
    'try {',
    `out: for (;;) {`,
    ...body,
    '}',
    // A #PF returned by Jit.read/write (mem-emit.ts FAULT_CHECK): state as on a thrown fault.
    ...(ctx.usesMem ? [`if (J.fault !== null) { ${wb} cpu.ip = ${ipk}; cpu.nextIp = ${ipk1}; J.started = n + k + 1; return -1; }`] : []),
    '} catch (e) {',
    `${wb} cpu.ip = ${ipk}; cpu.nextIp = ${ipk1}; J.started = n + k + 1; throw e;`,
    '}',
    `${wb} cpu.ip = ${b64 ? 'xip' : 'xip >>> 0'}; return n;`,
    '};',
  ].join('\n');
}
