/**
 * The gdb remote protocol command dispatcher: one packet payload in, the reply payload out (or
 * `null` when the reply comes later: c, s and vCont resume the guest and the stop reply follows
 * when it stops). It knows nothing of sockets (server.ts) or of the run loop (session.ts): the
 * target below does the work. Malformed packets get an error reply (`E01`, `E14` for memory
 * that does not translate) or the empty reply (not supported), never an exception.
 */
import type { DebugStop, WatchType } from '../../cpu/debug-hooks.ts';
import { fromHex, MAX_PACKET, toHex, unescapeBinary } from './packets.ts';
import { parseRegHex, readAll, REGISTERS, regHex, writeAll, type Arch, type RegisterSource } from './registers.ts';
import { targetXml } from './target-xml.ts';

/** What the stub drives. */
export interface StubTarget {
  /** The register set that fits the CPU now (amd64 once long mode is active). */
  currentArch(): Arch;
  readonly regs: RegisterSource;
  readMemory(address: bigint, length: number): Uint8Array;
  writeMemory(address: bigint, bytes: Uint8Array): boolean;
  /** Breakpoints and watchpoints, by linear address as gdb gives it (a 64-bit value). */
  insertBreakpoint(address: bigint, hardware: boolean): void;
  removeBreakpoint(address: bigint): boolean;
  insertWatchpoint(address: bigint, length: number, type: WatchType): boolean;
  removeWatchpoint(address: bigint, length: number, type: WatchType): boolean;
  /** Start the guest (continue, or one instruction). */
  resume(step: boolean): void;
  /** gdb detaches: breakpoints go, the guest runs on. */
  detach(): void;
  /** gdb kills the target: the run ends. */
  kill(): void;
  /** `monitor ...` (qRcmd): the text to print. */
  monitor(command: string): string;
}

/** Why the target is stopped, as a stop reply says it. */
export type StopInfo = DebugStop | { kind: 'interrupt' } | { kind: 'initial' } | { kind: 'exited'; status: number } | { kind: 'killed' };

const OK = 'OK';
const E_ARGS = 'E01';
const E_FAULT = 'E14';
const HEX = /^[0-9a-fA-F]+$/;

function parseHexBig(text: string | undefined): bigint | undefined {
  return text !== undefined && HEX.test(text) && text.length <= 16 ? BigInt(`0x${text}`) : undefined;
}

function parseHexNum(text: string | undefined): number | undefined {
  return text !== undefined && HEX.test(text) && text.length <= 8 ? parseInt(text, 16) : undefined;
}

const WATCH_TYPES: Record<string, WatchType> = { '2': 'watch', '3': 'rwatch', '4': 'awatch' };

export class GdbStub {
  /** The register set gdb was given (fixed from its first question until it reconnects). */
  private arch: Arch | null = null;
  private last: StopInfo = { kind: 'initial' };

  constructor(private readonly target: StubTarget) {}

  /** The architecture the `g` packet uses now. */
  get servedArch(): Arch {
    this.arch ??= this.target.currentArch();
    return this.arch;
  }

  /** The stop reply for a stop (also kept for `?`). */
  stopReply(stop: StopInfo): string {
    this.last = stop;
    switch (stop.kind) {
      case 'breakpoint':
        return `T05${stop.hardware ? 'hwbreak' : 'swbreak'}:;thread:1;`;
      case 'watch':
        return `T05${stop.type}:${BigInt.asUintN(64, BigInt(stop.linear)).toString(16)};thread:1;`;
      case 'step':
      case 'initial':
        return 'T05thread:1;';
      case 'interrupt':
        return 'T02thread:1;';
      case 'exited':
        return `W${(stop.status & 0xff).toString(16).padStart(2, '0')}`;
      case 'killed':
        return 'X09';
    }
  }

  /** Handle one packet; null = no reply now (the target runs; the stop reply follows). */
  handle(payload: string): string | null {
    try {
      return this.dispatch(payload);
    } catch {
      // A bug in a command must not end the session or the guest.
      return E_ARGS;
    }
  }

  private dispatch(p: string): string | null {
    const t = this.target;
    const head = p[0];
    switch (head) {
      case '?':
        return this.stopReply(this.last);
      case 'g':
        return readAll(this.servedArch, t.regs);
      case 'G':
        return writeAll(this.servedArch, t.regs, p.slice(1)) ? OK : E_ARGS;
      case 'p': {
        const n = parseHexNum(p.slice(1));
        const def = n === undefined ? undefined : REGISTERS[this.servedArch][n];
        return def === undefined ? E_ARGS : regHex(def, def.read(t.regs));
      }
      case 'P': {
        const [num, value] = p.slice(1).split('=');
        const n = parseHexNum(num);
        const def = n === undefined ? undefined : REGISTERS[this.servedArch][n];
        const v = def === undefined || value === undefined ? undefined : parseRegHex(def, value);
        if (def === undefined || v === undefined || def.write === undefined) return E_ARGS;
        def.write(t.regs, v);
        return OK;
      }
      case 'm': {
        const [a, l] = p.slice(1).split(',');
        const addr = parseHexBig(a);
        const len = parseHexNum(l);
        if (addr === undefined || len === undefined) return E_ARGS;
        const bytes = t.readMemory(addr, Math.min(len, MAX_PACKET / 2));
        return bytes.length === 0 && len > 0 ? E_FAULT : toHex(bytes);
      }
      case 'M':
      case 'X': {
        const colon = p.indexOf(':');
        if (colon < 0) return E_ARGS;
        const [a, l] = p.slice(1, colon).split(',');
        const addr = parseHexBig(a);
        const len = parseHexNum(l);
        const data = p.slice(colon + 1);
        const bytes = head === 'M' ? fromHex(data) : Uint8Array.from(unescapeBinary(data), (c) => c.charCodeAt(0) & 0xff);
        if (addr === undefined || len === undefined || bytes === undefined || bytes.length !== len) return E_ARGS;
        return t.writeMemory(addr, bytes) ? OK : E_FAULT;
      }
      case 'Z':
      case 'z':
        return this.point(head === 'Z', p.slice(1));
      case 'c':
      case 's':
        if (p.length > 1) {
          const addr = parseHexBig(p.slice(1));
          if (addr === undefined) return E_ARGS;
          REGISTERS[this.servedArch].find((r) => r.name === 'rip' || r.name === 'eip')!.write!(t.regs, addr);
        }
        t.resume(head === 's');
        return null;
      case 'v':
        return this.vPacket(p);
      case 'q':
        return this.query(p);
      case 'Q':
        return '';
      case 'H':
        return OK;
      case 'T':
        return p === 'T1' || p === 'T01' ? OK : 'E01';
      case 'D':
        t.detach();
        return OK;
      case 'k':
        t.kill();
        return null;
      default:
        return '';
    }
  }

  private point(insert: boolean, args: string): string {
    const [type, a, k] = args.split(',');
    const addr = parseHexBig(a);
    const kind = parseHexNum(k);
    if (addr === undefined || kind === undefined) return E_ARGS;
    const t = this.target;
    if (type === '0' || type === '1') {
      if (insert) t.insertBreakpoint(addr, type === '1');
      else t.removeBreakpoint(addr);
      return OK;
    }
    const watch = type === undefined ? undefined : WATCH_TYPES[type];
    if (watch === undefined) return '';
    if (kind < 1 || kind > 4096) return E_ARGS;
    return (insert ? t.insertWatchpoint(addr, kind, watch) : t.removeWatchpoint(addr, kind, watch)) ? OK : E_ARGS;
  }

  private vPacket(p: string): string | null {
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p.startsWith('vCont;')) {
      // The first action that applies to our one thread decides (gdb sends e.g. vCont;s:1;c).
      const action = p.slice(6).split(';')[0]!.split(':')[0]!;
      if (!/^[cCsS]/.test(action)) return E_ARGS;
      this.target.resume(action[0] === 's' || action[0] === 'S');
      return null;
    }
    if (p === 'vMustReplyEmpty') return '';
    if (p.startsWith('vKill')) {
      this.target.kill();
      return OK;
    }
    return '';
  }

  private query(p: string): string {
    if (p.startsWith('qSupported')) {
      return `PacketSize=${MAX_PACKET.toString(16)};qXfer:features:read+;swbreak+;hwbreak+;vContSupported+`;
    }
    if (p.startsWith('qXfer:features:read:')) {
      const [annex, range] = p.slice('qXfer:features:read:'.length).split(':');
      const [o, l] = (range ?? '').split(',');
      const off = parseHexNum(o);
      const len = parseHexNum(l);
      if (annex !== 'target.xml') return 'E00';
      if (off === undefined || len === undefined) return E_ARGS;
      // The description follows the mode the CPU is in when gdb asks (gdb asks on connect).
      this.arch = this.target.currentArch();
      const xml = targetXml(this.arch);
      const chunk = xml.slice(off, off + len);
      return off + len >= xml.length ? `l${chunk}` : `m${chunk}`;
    }
    if (p === 'qAttached') return '1';
    if (p === 'qC') return 'QC1';
    if (p === 'qfThreadInfo') return 'm1';
    if (p === 'qsThreadInfo') return 'l';
    if (p.startsWith('qSymbol')) return OK;
    if (p.startsWith('qRcmd,')) {
      const cmd = fromHex(p.slice(6));
      if (cmd === undefined) return E_ARGS;
      const text = this.target.monitor(String.fromCharCode(...cmd).trim());
      return text === '' ? OK : toHex(text);
    }
    return '';
  }
}
