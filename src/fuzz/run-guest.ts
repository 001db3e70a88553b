import { MONITOR_BASE } from '../runtime/machine/bus.ts';
import { Machine, type PagingModeName } from '../runtime/machine/machine.ts';
import { CapturedOutput } from '../runtime/machine/output.ts';
import type { StopReason } from '../runtime/vmm/monitor.ts';
import { buildGuestImage, type FuzzGuest } from './guest-image.ts';
import { checkControlInvariants, checkTables } from './invariants.ts';

/**
 * Boot one fuzz guest under one paging mode with an instrumented bus and check the robustness
 * property: the run ends by a stop reason within the budget, no JS exception escapes (the run
 * loop turns internal exceptions into 'monitor-error', which is therefore a violation too), every
 * bus access is to guest RAM, the unbacked range below MONITOR_BASE or an allocated monitor page,
 * and the monitor's invariants hold afterwards.
 */

export const FUZZ_MEM_MIB = 8;

export interface GuestOutcome {
  stop: StopReason;
  instructions: number;
  output: string;
  /** GPRs 0..15, RIP, RFLAGS, CR2 and the guest-visible CR0/CR3/CR4/EFER, as hex. */
  state: string[];
  violations: string[];
}

function hex(v: bigint | number): string {
  return BigInt(v).toString(16);
}

type BusMethod = 'read8' | 'read16' | 'read32' | 'read64' | 'write8' | 'write16' | 'write32' | 'write64';
const BUS_METHODS: readonly BusMethod[] = ['read8', 'read16', 'read32', 'read64', 'write8', 'write16', 'write32', 'write64'];
const SIZE: Record<BusMethod, number> = { read8: 1, read16: 2, read32: 4, read64: 8, write8: 1, write16: 2, write32: 4, write64: 8 };

/** Wrap the machine's bus methods (instance properties shadow the prototype's) to check every address. */
export function instrumentBus(m: Machine, violations: string[]): void {
  const mem = m.memory;
  const pageOk = (pa: number): boolean => {
    try {
      mem.monitorPageView(pa - (pa % 4096));
      return true;
    } catch {
      return false;
    }
  };
  for (const name of BUS_METHODS) {
    const original = mem[name].bind(mem) as (pa: number, value?: number | bigint) => number | bigint | undefined;
    const size = SIZE[name];
    const checked = (pa: number, value?: number | bigint): number | bigint | undefined => {
      if (!Number.isInteger(pa) || pa < 0 || pa + size > 2 ** 52) {
        if (violations.length < 8) violations.push(`${name} at invalid address ${String(pa)}`);
      } else if (pa + size > MONITOR_BASE && !(pageOk(pa) && pageOk(pa + size - 1))) {
        if (violations.length < 8) violations.push(`${name} at 0x${pa.toString(16)}: not an allocated monitor page`);
      }
      return original(pa, value);
    };
    Object.defineProperty(mem, name, { value: checked, configurable: true, writable: true });
  }
}

export interface RunGuestOptions {
  paging: PagingModeName;
  maxInsns: number;
  /** CR-ownership policy (default trap-all). */
  crPolicy?: string;
  /** Wrap the bus (slower); on by default. */
  checkBus?: boolean;
}

export function runFuzzGuest(g: FuzzGuest, options: RunGuestOptions): GuestOutcome {
  const violations: string[] = [];
  const out = new CapturedOutput();
  const m = new Machine({ memMiB: FUZZ_MEM_MIB, paging: options.paging, crPolicy: options.crPolicy, output: out });
  if (options.checkBus !== false) instrumentBus(m, violations);
  const image = buildGuestImage(g);
  const loaded = m.load(image.bytes, { file: 'fuzz.img', format: image.format });
  if (!loaded.ok) throw new Error(`fuzz image did not load: ${loaded.error.message}`);
  let stop: StopReason;
  let instructions = 0;
  try {
    const r = m.run(options.maxInsns);
    stop = r.stop;
    instructions = r.instructions;
  } catch (e) {
    violations.push(`exception escaped Machine.run: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    stop = { kind: 'monitor-error', detail: 'exception' };
  }
  if (stop.kind === 'monitor-error') violations.push(`monitor-error: ${stop.detail}`);
  if (instructions > options.maxInsns) violations.push(`ran ${instructions} instructions, budget ${options.maxInsns}`);
  if (stop.kind === 'max-insns' && instructions !== options.maxInsns) {
    violations.push(`max-insns after ${instructions} of ${options.maxInsns} instructions`);
  }
  try {
    violations.push(...checkControlInvariants(m, options.paging));
    violations.push(...checkTables(m, options.paging));
  } catch (e) {
    violations.push(`invariant check threw: ${e instanceof Error ? e.message : String(e)}`);
  }
  const v = m.vcpu;
  const state: string[] = [];
  for (let n = 0; n < 16; n++) state.push(hex(v.readGpr(n)));
  state.push(hex(v.rip), hex(v.rflags), hex(v.cr2));
  const gc = m.guestControl();
  if (gc) state.push(hex(gc.cr0), hex(gc.cr3), hex(gc.cr4), hex(gc.efer));
  return { stop, instructions, output: new TextDecoder('latin1').decode(out.bytes()), state, violations };
}
