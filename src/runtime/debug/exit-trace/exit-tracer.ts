/**
 * `--trace-exits`: a Monitor in front of the trap monitor that prints one line per exit it lets
 * through the filter — which instruction, what access, the guest value before and after and the
 * hardware's, the outcome, and the spec line that decided it (the generated handlers' site
 * tables, RuleSites), plus the effects the rule ran and the paging strategy's counters that moved.
 *
 * Only installed when tracing: the trap monitor's own exit path is unchanged (the handlers pass
 * a constant site index to raise() and keep a taken word; nothing is formatted unless this class
 * reads them). It offers no crExitHandler, so compiled exit sites come through handleCrAccess.
 */
import type { RuleSites, RuleSiteStmt } from '../../vmm/effects.ts';
import type { CrAccessExit, VmExit } from '../../vmm/exit.ts';
import type { GuestRegName } from '../../vmm/guest-regs.ts';
import type { ExitOutcome, Monitor } from '../../vmm/monitor.ts';
import type { TrapMonitor } from '../../vmm/trap-monitor.ts';
import type { Vcpu } from '../../vmm/vcpu.ts';
import { ALL_EXITS, filterMatches, type ExitFilter, type FilterKind, type FilterRegister } from './filter.ts';

/** What the tracer needs from the CPU beyond the Vcpu interface (the machine supplies it). */
export interface ExitSiteProbe {
  /** Instructions executed so far, the exiting one included. */
  count(vcpu: Vcpu): number;
  /** CS:RIP of the exiting instruction. */
  where(vcpu: Vcpu): string;
  /** Its disassembly (Intel syntax, as --trace). */
  insn(vcpu: Vcpu): string;
  /** The event queued for delivery to the guest, if any. */
  pending(vcpu: Vcpu): { vector: number; errorCode: number | undefined } | null;
}

export interface ExitTracerOptions {
  sink: (line: string) => void;
  probe: ExitSiteProbe;
  filter?: ExitFilter;
}

const REGS: readonly GuestRegName[] = ['cr0', 'cr3', 'cr4', 'cr8', 'efer', 'xcr0'];
const MNEMONIC: Record<number, string> = { 0: 'DE', 1: 'DB', 3: 'BP', 4: 'OF', 5: 'BR', 6: 'UD', 7: 'NM', 8: 'DF', 10: 'TS', 11: 'NP', 12: 'SS', 13: 'GP', 14: 'PF', 16: 'MF', 17: 'AC', 18: 'MC', 19: 'XM' };
const EFER_MSR = 0xc000_0080;

function hex(v: bigint | number, width = 8): string {
  return BigInt.asUintN(64, BigInt(v)).toString(16).padStart(width, '0');
}

export function exceptionText(vector: number, errorCode: number | undefined): string {
  const name = MNEMONIC[vector] ?? `vector ${vector}`;
  return errorCode === undefined ? `#${name}` : `#${name}(${errorCode.toString(16)})`;
}

/** The register a rule id is about (`write-CR0` → cr0). */
function ruleRegister(sites: RuleSites): FilterRegister {
  return sites.id.slice(sites.id.indexOf('-') + 1).toLowerCase() as FilterRegister;
}

function accessText(exit: VmExit): string {
  switch (exit.reason) {
    case 'cr-access':
      switch (exit.access) {
        case 'mov-to-cr':
          return `write CR${exit.cr}`;
        case 'mov-from-cr':
          return `read CR${exit.cr}`;
        default:
          return exit.access.toUpperCase();
      }
    case 'wrmsr':
    case 'rdmsr':
      return `${exit.reason.toUpperCase()} ${exit.msr >>> 0 === EFER_MSR ? 'EFER' : `0x${hex(exit.msr)}`}`;
    case 'xsetbv':
      return 'XSETBV';
    case 'cpuid':
      return 'CPUID';
    case 'hlt':
      return 'HLT';
    case 'io':
      return `${exit.direction.toUpperCase()} port 0x${exit.port.toString(16)}/${exit.size}`;
    case 'invlpg':
      return `INVLPG ${hex(exit.linear)}`;
    case 'exception':
      return `exception ${exceptionText(exit.vector, exit.errorCode)}${exit.vector === 14 ? ` at ${hex(exit.faultAddress)}` : ''}`;
    case 'npf':
      return `nested #PF(${exit.errorCode.toString(16)}) at guest-physical ${hex(exit.guestPhysical)}`;
    case 'interrupt-window':
      return 'interrupt window';
    case 'nmi-window':
      return 'NMI window';
    case 'task-switch':
      return exit.cr3 === null ? 'task switch (16-bit TSS)' : `task switch CR3=${hex(exit.cr3)}`;
  }
}

function kindsOf(exit: VmExit, rule: boolean): FilterKind[] {
  const k: FilterKind[] = rule ? ['rules'] : [];
  switch (exit.reason) {
    case 'wrmsr':
    case 'rdmsr':
      k.push('msr');
      break;
    case 'cpuid':
    case 'hlt':
    case 'io':
    case 'invlpg':
      k.push(exit.reason);
      break;
    case 'exception':
      k.push('exception');
      if (exit.vector === 14) k.push('pf');
      break;
    case 'npf':
      k.push('exception', 'pf');
      break;
    case 'interrupt-window':
    case 'nmi-window':
      k.push('interrupt');
      break;
    default:
      break;
  }
  return k;
}

/** `spec/rules/cr0.rules:10  fault #GP(0) when new.NW and not new.CD` */
function at(sites: RuleSites, s: { line: number; text: string }): string {
  return `${sites.file}:${s.line}  ${s.text}`;
}

export class ExitTracer implements Monitor {
  private readonly sink: (line: string) => void;
  private readonly probe: ExitSiteProbe;
  private readonly filter: ExitFilter;
  private readonly before = new Map<GuestRegName, bigint>();

  constructor(
    readonly inner: TrapMonitor,
    options: ExitTracerOptions,
  ) {
    this.sink = options.sink;
    this.probe = options.probe;
    this.filter = options.filter ?? ALL_EXITS;
  }

  /** The traced monitor's guest registers (reports, --stats, gdb read them here). */
  get guest(): TrapMonitor['guest'] {
    return this.inner.guest;
  }

  get paging(): TrapMonitor['paging'] {
    return this.inner.paging;
  }

  get exitCounts(): Map<string, number> {
    return this.inner.exitCounts;
  }

  stats(): Record<string, number> {
    return this.inner.stats();
  }

  get interrupts(): TrapMonitor['interrupts'] {
    return this.inner.interrupts;
  }

  interruptsChanged(): void {
    this.inner.interruptsChanged();
  }

  attach(vcpu: Vcpu): void {
    this.inner.attach(vcpu);
  }

  handleExit(exit: VmExit, vcpu: Vcpu): ExitOutcome {
    return this.traced(exit, vcpu, () => this.inner.handleExit(exit, vcpu));
  }

  handleCrAccess(exit: CrAccessExit, vcpu: Vcpu): ExitOutcome {
    return this.traced(exit, vcpu, () => this.inner.handleCrAccess(exit, vcpu));
  }

  private traced(exit: VmExit, vcpu: Vcpu, handle: () => ExitOutcome): ExitOutcome {
    const probe = this.probe;
    const where = probe.where(vcpu);
    const insn = probe.insn(vcpu);
    const count = probe.count(vcpu);
    const operand = this.operandText(exit, vcpu);
    const g = this.inner.guest;
    for (const r of REGS) this.before.set(r, g[r]);
    const pagingBefore = this.inner.paging.stats();
    const pendingBefore = probe.pending(vcpu);
    const cx = this.inner.cx;
    cx.faultVector = -1;
    cx.faultSite = -1;
    cx.taken = 0;

    const outcome = handle();

    const rule = this.inner.ruleFor(exit);
    const sites = rule === undefined ? undefined : this.inner.handlers.RULE_SITES.get(rule);
    const pending = probe.pending(vcpu);
    const injected = pending !== null && pending !== pendingBefore ? pending : null;
    const faulted = injected !== null;
    if (!filterMatches(this.filter, { register: sites && ruleRegister(sites), kinds: kindsOf(exit, sites !== undefined), fault: faulted })) return outcome;

    const parts = [`${String(count).padStart(9)} ${where}  ${(insn === '?' && exit.reason === 'exception' ? '(fetch)' : insn).padEnd(24)}`, `${accessText(exit)}${operand}`];
    if (sites !== undefined) parts.push(this.valuesText(ruleRegister(sites), vcpu, sites.stmts.some((s) => s.kind === 'result')));
    parts.push(faulted ? `${injected.vector === 14 ? 'injected ' : ''}${exceptionText(injected.vector, injected.errorCode)}` : outcome.kind === 'stop' ? `stop (${outcome.reason.kind})` : sites !== undefined ? 'applied' : 'resumed');
    if (sites !== undefined) parts.push(...this.decisionText(sites, cx.faultVector >= 0, cx.faultSite, cx.taken));
    else if (exit.reason === 'wrmsr' || exit.reason === 'rdmsr' || (exit.reason === 'cr-access' && faulted)) parts.push('no rule for this access (R72: #UD / #GP(0))');
    const moved = this.pagingDelta(pagingBefore);
    if (moved !== '') parts.push(`paging: ${moved}`);
    this.sink(parts.join('  '));
    return outcome;
  }

  private operandText(exit: VmExit, vcpu: Vcpu): string {
    switch (exit.reason) {
      case 'cr-access':
        if (exit.access === 'mov-to-cr' && exit.operand.kind === 'reg') {
          const n = exit.operand.gpr;
          const v = exit.operand.size === 8 ? vcpu.readGpr(n) : BigInt((vcpu.gprLo(n) & (exit.operand.size === 2 ? 0xffff : 0xffff_ffff)) >>> 0);
          return ` src=${hex(v)}`;
        }
        return exit.access === 'lmsw' ? ` src=${hex(exit.lmswSource & 0xffff, 4)}` : '';
      case 'wrmsr':
      case 'xsetbv':
        return ` src=${hex(vcpu.gprLo(2))}${hex(vcpu.gprLo(0))}${exit.reason === 'xsetbv' ? ` ecx=${vcpu.gprLo(1)}` : ''}`;
      case 'cpuid':
        return ` eax=${hex(vcpu.gprLo(0))} ecx=${hex(vcpu.gprLo(1))}`;
      case 'io':
        return exit.direction === 'out' ? ` value=${hex(vcpu.gprLo(0) & (exit.size === 1 ? 0xff : exit.size === 2 ? 0xffff : 0xffff_ffff), exit.size * 2)}` : '';
      default:
        return '';
    }
  }

  /**
   * `guest 00000011 → 80000011  hw 80000031` (+ other guest registers the rule changed); for a
   * read, the value the guest got: `guest 80000011  hw 80010011`.
   */
  private valuesText(reg: FilterRegister, vcpu: Vcpu, read: boolean): string {
    const g = this.inner.guest;
    const old = this.before.get(reg)!;
    const now = g[reg];
    const w = old > 0xffff_ffffn || now > 0xffff_ffffn ? 16 : 8;
    let text = read && old === now ? `guest ${hex(now, w)}  hw ${hex(vcpu.control[reg], w)}` : `guest ${hex(old, w)} → ${hex(now, w)}  hw ${hex(vcpu.control[reg], w)}`;
    for (const r of REGS) {
      if (r === reg) continue;
      const was = this.before.get(r)!;
      if (g[r] !== was) text += `  ${r.toUpperCase()} ${hex(was)} → ${hex(g[r])}`;
    }
    return text;
  }

  /** The deciding line, then the conditional actions and the effects that ran. */
  private decisionText(sites: RuleSites, faulted: boolean, site: number, taken: number): string[] {
    if (faulted) {
      const guard = site >= 0 ? sites.stmts[site] : undefined;
      return [guard !== undefined ? at(sites, guard) : `${sites.file}:${sites.line}  ${sites.text} (not in this mode: #UD)`];
    }
    const ran = (s: RuleSiteStmt): boolean => s.kind !== 'guard' && (s.bit < 0 || (taken & (1 << s.bit)) !== 0);
    const main = sites.stmts.find((s) => ran(s) && (s.kind === 'guest' || s.kind === 'result'));
    const out = [main !== undefined ? at(sites, main) : `${sites.file}:${sites.line}  ${sites.text}`];
    const also = sites.stmts.filter((s) => ran(s) && s !== main && s.bit >= 0 && s.kind !== 'effect');
    if (also.length > 0) out.push(`also ${also.map((s) => `:${s.line} ${s.text.replace(/^when .*?: /, '')}`).join('; ')}`);
    const effects = sites.stmts.filter((s) => ran(s) && s.kind === 'effect');
    if (effects.length > 0) out.push(`effects ${effects.map((s) => `:${s.line} ${s.text.replace(/^when .*?: effect /, '').replace(/^effect /, '')}`).join(', ')}`);
    return out;
  }

  private pagingDelta(before: Record<string, number>): string {
    const after = this.inner.paging.stats();
    const moved: string[] = [];
    for (const [k, v] of Object.entries(after)) {
      const d = v - (before[k] ?? 0);
      if (d !== 0 && !k.endsWith('Live') && !k.endsWith('InUse')) moved.push(`${k}${d > 0 ? '+' : ''}${d}`);
    }
    return moved.join(' ');
  }
}
