/**
 * The run loop: fetch (CS base + RIP, translated for fetch), look up or decode, execute, and
 * turn GuestFaults into delivery or exception exits and NestedPageFaults into 'npf' exits.
 * No JavaScript exception escapes for guest behaviour; a bug-level exception becomes a
 * 'monitor-error' stop with detail.
 */
import { GuestFault, Vec } from './fault.ts';
import { NestedPageFault } from '../mmu/nested-fault.ts';
import type { StopReason } from '../vmm/monitor.ts';
import { Seg } from './state.ts';
import type { Cpu } from './cpu.ts';
import type { DecodedInsn } from './decoded.ts';
import type { JitBlock } from './jit/block.ts';
import { deliverException, deliverInjected } from './system/index.ts';
import { traceStep } from './trace.ts';
import { EVENT_CHECK, openWindow } from './events.ts';

const MAX_INSNS: StopReason = { kind: 'max-insns' };
const DEBUG_STOP: StopReason = { kind: 'debug' };
const IDLE: StopReason = { kind: 'idle' };
/** Consecutive faults/exits without an instruction started before the run is declared stuck. */
const MAX_STALLS = 100_000;

/** Fetch + decode the instruction at CS:ip (may throw GuestFault). */
export function fetch(cpu: Cpu): DecodedInsn {
  const ip = cpu.ip;
  let lin: number;
  if (cpu.mode64) {
    lin = ip;
  } else {
    const cs = cpu.seg[Seg.CS]!;
    if (ip > cs.limit) throw new GuestFault(Vec.GP, 0);
    lin = (cs.base + ip) >>> 0;
  }
  const dc = cpu.decoded;
  const off = lin & 0xfff;
  let insn: DecodedInsn | undefined;
  if (lin - off === dc.fetchBase && cpu.cpl === dc.fetchCpl) insn = dc.fetchPage[off];
  if (insn === undefined) {
    // Not on the remembered code page (or not decoded yet): translate, then remember the page.
    const pa = cpu.mem.fetchPa(lin);
    insn = dc.get(lin, pa);
    dc.rememberFetchPage(lin, pa, cpu.cpl);
  }
  if (!cpu.mode64 && ip + insn.length - 1 > cpu.seg[Seg.CS]!.limit) throw new GuestFault(Vec.GP, 0);
  return insn;
}

/**
 * Execute one already-fetched instruction (sets ip to nextIp on completion). An interrupt shadow
 * set before this instruction (STI, MOV SS) ends after it. EFLAGS.TF single-step traps are not
 * modelled.
 */
export function execute(cpu: Cpu, insn: DecodedInsn): void {
  const ip = cpu.ip;
  const next = ip + insn.length;
  const shadow = cpu.interruptShadow;
  cpu.nextIp = cpu.mode64 ? next : cpu.bitness === 16 && next > 0xffff ? next & 0xffff : next >>> 0;
  insn.handler(cpu, insn);
  cpu.ip = cpu.nextIp;
  if (shadow) cpu.interruptShadow = false;
}

/** The instruction at cpu.ip just got hot: compile a block starting there (32/64-bit code on a cached page). */
function compileAt(cpu: Cpu, insn: DecodedInsn): JitBlock | null {
  const dc = cpu.decoded;
  const ip = cpu.ip;
  const lin = cpu.mode64 ? ip : (cpu.seg[Seg.CS]!.base + ip) >>> 0;
  const off = lin & 0xfff;
  if (lin - off !== dc.fetchBase || dc.fetchPage[off] !== insn) {
    insn.heat = 0; // not on the remembered code page: try again later
    return null;
  }
  dc.jit.compile(insn, dc.aheadFn, dc.fetchPageNo, off, cpu.bitness);
  return insn.block;
}

/** The linear address of CS:ip (what breakpoints are keyed by). */
function ipLinear(cpu: Cpu): number {
  return cpu.mode64 ? cpu.ip : (cpu.seg[Seg.CS]!.base + cpu.ip) >>> 0;
}

/**
 * The run loop with a debugger attached (cpu.debug): before each instruction, stop at a
 * breakpoint (except the one being resumed from); after it, stop for a single-step or a
 * watchpoint hit. Compiled blocks run when nothing is stepping or watched and no breakpoint lies
 * in their bytes, so a breakpoint inside a hot loop still stops it. Returns the instructions
 * retired; a fault propagates (or, from a block, is left in jit.fault) as in the main loop.
 */
function debugSteps(cpu: Cpu, budget: number): number {
  const d = cpu.debug!;
  const stats = cpu.stats;
  const jit = cpu.decoded.jit;
  let done = 0;
  while (done < budget) {
    const lin = ipLinear(cpu);
    if (lin !== d.resumeAt && d.breakpoints.has(lin)) {
      d.stop = { kind: 'breakpoint', linear: lin, hardware: d.breakpoints.get(lin)! };
      cpu.stopReason = DEBUG_STOP;
      break;
    }
    d.resumeAt = NaN;
    const insn = fetch(cpu);
    let blk = insn.block;
    if (jit.enabled && d.blocksAllowed()) {
      if (blk === null && ++insn.heat === jit.threshold) blk = compileAt(cpu, insn);
      if (blk !== null && !cpu.interruptShadow && !d.breakpointIn(lin, blk.endPa - blk.startPa)) {
        const n = blk.fn(cpu, budget - done, blk);
        if (n < 0) break; // a #PF handed back in jit.fault (the caller takes it)
        if (n !== 0) {
          done += n;
          stats.instructions += n;
          if (cpu.stopReason !== null || cpu.pending !== null) break;
          continue;
        }
      }
    }
    done++;
    stats.instructions++;
    d.watchHit = null;
    try {
      execute(cpu, insn);
    } finally {
      // A watched access that then faulted still stops (reported with the fault delivered).
      if (d.watchHit !== null) {
        d.stop = d.watchHit;
        d.watchHit = null;
        cpu.stopReason ??= DEBUG_STOP;
      } else if (d.step) {
        d.stop = { kind: 'step' };
        cpu.stopReason ??= DEBUG_STOP;
      }
    }
    if (cpu.stopReason !== null || cpu.pending !== null) break;
  }
  return done;
}

/** Deliver a queued event now (a single-step that raised one ends in the handler, as on hardware). */
export function deliverPendingEvent(cpu: Cpu): void {
  if (cpu.pending === null) return;
  try {
    deliverPending(cpu);
  } catch (e) {
    if (e instanceof GuestFault) handleFault(cpu, e);
    else throw e;
  }
}

function handleFault(cpu: Cpu, f: GuestFault): void {
  const recent = cpu.recentFaults;
  recent.push(f.vector);
  if (recent.length > 8) recent.shift();
  if ((cpu.intercepts.exceptionBitmap & (1 << f.vector)) !== 0) {
    cpu.exit({ reason: 'exception', vector: f.vector, errorCode: f.errorCode, faultAddress: f.address });
    return;
  }
  deliverException(cpu, f);
}

function deliverPending(cpu: Cpu): void {
  const ev = cpu.pending!;
  cpu.pending = null;
  deliverInjected(cpu, ev.vector, ev.errorCode, ev.type);
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 6).join('\n')}` : ''}`;
  return String(e);
}

function stuck(cpu: Cpu): StopReason {
  return {
    kind: 'monitor-error',
    detail: `no progress after ${MAX_STALLS} faults/exits at ${cpu.ip.toString(16)} (last fault: vector list ${cpu.recentFaults.join(',')})`,
  };
}

export function runLoop(cpu: Cpu, budget: number): StopReason | null {
  cpu.stopReason = null;
  const stats = cpu.stats;
  const jit = cpu.decoded.jit;
  let done = 0;
  let stalls = 0;
  let doneAtLastFault = -1;
  try {
    while (done < budget) {
      let fault: GuestFault | NestedPageFault | null = null;
      try {
        if (cpu.pending === EVENT_CHECK) cpu.pending = null;
        if (cpu.pending === null && cpu.windowExits !== 0 && openWindow(cpu)) {
          // An event-window exit (events.ts): the monitor injected, or will ask again.
          if (cpu.stopReason !== null) break;
          if (done === doneAtLastFault) {
            if (++stalls > MAX_STALLS) {
              cpu.stopReason = stuck(cpu);
              break;
            }
          } else {
            stalls = 0;
            doneAtLastFault = done;
          }
          continue;
        }
        if (cpu.pending !== null && cpu.pending !== EVENT_CHECK) {
          deliverPending(cpu);
          if (cpu.stopReason !== null) break;
          // Delivery exited (an intercepted fault while pushing the frame) and the event is queued
          // again: deliver it again after the monitor's fix, before any instruction runs — the
          // instruction that raised it must not be re-executed (VMX IDT-vectoring information).
          if (cpu.pending !== null) {
            if (done === doneAtLastFault) {
              if (++stalls > MAX_STALLS) {
                cpu.stopReason = stuck(cpu);
                break;
              }
            } else {
              stalls = 0;
              doneAtLastFault = done;
            }
            continue;
          }
        }
        if (cpu.stopReason !== null) break;
        if (cpu.halted) {
          // The HLT state with nothing to deliver: the machine advances time.
          cpu.stopReason = IDLE;
          break;
        }
        if (cpu.debug !== null) {
          done += debugSteps(cpu, budget - done);
          if (jit.fault !== null) {
            fault = jit.fault;
            jit.fault = null;
          }
        } else if (cpu.trace !== null) {
          while (done < budget) {
            done++;
            stats.instructions++;
            traceStep(cpu, fetch, execute);
            if (cpu.stopReason !== null || cpu.pending !== null) break;
          }
        } else if (jit.enabled) {
          const threshold = jit.threshold;
          while (done < budget) {
            done++;
            stats.instructions++;
            const insn = fetch(cpu);
            let blk = insn.block;
            if (blk === null && ++insn.heat === threshold) blk = compileAt(cpu, insn);
            if (blk !== null && !cpu.interruptShadow) {
              // A compiled block (jit/): it counts its own instructions.
              done--;
              stats.instructions--;
              const n = blk.fn(cpu, budget - done, blk);
              if (n < 0) {
                // The block returned a #PF instead of throwing it (Jit.read/write).
                fault = jit.fault;
                jit.fault = null;
                break;
              }
              if (n !== 0) {
                done += n;
                stats.instructions += n;
                if (cpu.stopReason !== null || cpu.pending !== null) break;
                continue;
              }
              done++;
              stats.instructions++;
            }
            execute(cpu, insn);
            if (cpu.stopReason !== null || cpu.pending !== null) break;
          }
        } else {
          while (done < budget) {
            done++;
            stats.instructions++;
            const insn = fetch(cpu);
            execute(cpu, insn);
            if (cpu.stopReason !== null || cpu.pending !== null) break;
          }
        }
      } catch (e) {
        if (!(e instanceof GuestFault) && !(e instanceof NestedPageFault)) throw e;
        fault = e;
      }
      if (fault !== null) {
        const e = fault;
        if (jit.started !== 0) {
          // A compiled block faulted: count the instructions it started (the faulting one too).
          done += jit.started;
          stats.instructions += jit.started;
          jit.started = 0;
        }
        if (e instanceof GuestFault) {
          try {
            handleFault(cpu, e);
          } catch (e2) {
            if (e2 instanceof NestedPageFault) {
              cpu.exit({ reason: 'npf', guestPhysical: e2.guestPhysical, errorCode: e2.errorCode });
            } else if (e2 instanceof GuestFault) {
              // Delivery itself faulted and the system side did not resolve it: shut down.
              cpu.stopReason = {
                kind: 'triple-fault',
                detail: `fault ${e2.vector} while delivering fault ${e.vector} at ${cpu.ip.toString(16)}`,
              };
            } else {
              throw e2;
            }
          }
        } else {
          cpu.exit({ reason: 'npf', guestPhysical: e.guestPhysical, errorCode: e.errorCode });
        }
        // Faults and exits that retire no instruction (event delivery the monitor keeps
        // re-queueing) must not spin forever.
        if (done === doneAtLastFault) {
          if (++stalls > MAX_STALLS) {
            cpu.stopReason = stuck(cpu);
          }
        } else {
          stalls = 0;
          doneAtLastFault = done;
        }
      }
      if (cpu.stopReason !== null) break;
    }
  } catch (e) {
    cpu.stopReason = { kind: 'monitor-error', detail: describe(e) };
  }
  return cpu.stopReason ?? MAX_INSNS;
}
