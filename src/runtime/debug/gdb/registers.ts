/**
 * The register sets the gdb stub offers, as gdb's i386 and amd64 target descriptions name them
 * (org.gnu.gdb.i386.core / .sse / .linux) plus the system registers QEMU's x86 stub adds
 * (fs_base, gs_base, k_gs_base, cr0, cr2, cr3, cr4, cr8, efer). One table per architecture
 * gives the order (gdb's register numbers and the `g` packet layout), sizes and where each
 * value lives; target-xml.ts prints the descriptions from the same tables.
 *
 * Control registers are the guest's view (the monitor's GuestState: what MOV from CR returns to
 * the guest), not the hardware's — `monitor cr` shows both. CR2 is the CPU's (the monitor sets it
 * when it injects a #PF). They are read-only here: a write would bypass the rules (P/G leave
 * them unchanged). x87 and SSE registers read as zero while the CPU models none.
 */
import type { Cpu } from '../../cpu/cpu.ts';
import { Seg } from '../../cpu/state.ts';
import type { ControlView } from './guest-memory.ts';

export type Arch = 'i386' | 'amd64';

/** What register reads and writes need: the CPU and the guest-visible control registers. */
export interface RegisterSource {
  cpu: Cpu;
  /** The monitor's guest registers, or undefined (bare monitor: the hardware's are the guest's). */
  guest: ControlView | undefined;
}

export interface RegDef {
  name: string;
  bits: number;
  /** gdb type name (int64, code_ptr, i386_eflags, i387_ext, vec128, ...). */
  type: string;
  feature: 'core' | 'sse' | 'linux' | 'system';
  group?: string;
  read(src: RegisterSource): bigint;
  /** Undefined: read-only (writes are ignored by G and refused by P). */
  write?(src: RegisterSource, value: bigint): void;
}

const GPR64 = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
/** gdb's order → the CPU's register numbers (RAX=0 RCX=1 RDX=2 RBX=3 RSP=4 RBP=5 RSI=6 RDI=7). */
const GPR64_INDEX = [0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15];
const GPR32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SEGS: [string, number][] = [
  ['cs', Seg.CS],
  ['ss', Seg.SS],
  ['ds', Seg.DS],
  ['es', Seg.ES],
  ['fs', Seg.FS],
  ['gs', Seg.GS],
];
const FPU_CTRL = ['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'];

const zero = (): bigint => 0n;
const MASK32 = 0xffff_ffffn;

function gpr(name: string, index: number, bits: 32 | 64): RegDef {
  const mask = bits === 64 ? (1n << 64n) - 1n : MASK32;
  return {
    name,
    bits,
    type: name === 'rsp' || name === 'rbp' || name === 'esp' || name === 'ebp' ? 'data_ptr' : bits === 64 ? 'int64' : 'int32',
    feature: 'core',
    read: (s) => s.cpu.readGpr(index) & mask,
    write: (s, v) => s.cpu.writeGpr(index, bits === 64 ? BigInt.asUintN(64, v) : (s.cpu.readGpr(index) & ~MASK32) | (v & MASK32), 8),
  };
}

function ipReg(bits: 32 | 64): RegDef {
  return {
    name: bits === 64 ? 'rip' : 'eip',
    bits,
    type: 'code_ptr',
    feature: 'core',
    read: (s) => (bits === 64 ? BigInt.asUintN(64, BigInt(s.cpu.ip)) : BigInt(s.cpu.ip >>> 0)),
    write: (s, v) => {
      s.cpu.ip = s.cpu.mode64 ? Number(BigInt.asIntN(64, v)) : Number(v & MASK32);
    },
  };
}

function controlReg(name: 'cr0' | 'cr3' | 'cr4' | 'cr8' | 'efer', bits: number): RegDef {
  return {
    name,
    bits,
    type: bits === 64 ? 'int64' : 'int32',
    feature: 'system',
    read: (s) => {
      const g = s.guest;
      const v = g === undefined ? s.cpu.control[name] : name === 'cr8' ? (g.cr8 ?? s.cpu.control.cr8) : g[name];
      return bits === 64 ? v : v & MASK32;
    },
  };
}

function commonTail(bits: 32 | 64, xmmCount: number): RegDef[] {
  const regs: RegDef[] = [];
  regs.push({ name: 'eflags', bits: 32, type: 'i386_eflags', feature: 'core', read: (s) => BigInt(s.cpu.getFlags() >>> 0), write: (s, v) => s.cpu.setFlags(Number(v & MASK32)) });
  for (const [name, seg] of SEGS) regs.push({ name, bits: 32, type: 'int32', feature: 'core', read: (s) => BigInt(s.cpu.seg[seg]!.selector) });
  for (let i = 0; i < 8; i++) regs.push({ name: `st${i}`, bits: 80, type: 'i387_ext', feature: 'core', read: zero });
  for (const name of FPU_CTRL) regs.push({ name, bits: 32, type: 'int', feature: 'core', group: 'float', read: name === 'fctrl' ? () => 0x37fn : zero });
  for (let i = 0; i < xmmCount; i++) regs.push({ name: `xmm${i}`, bits: 128, type: 'vec128', feature: 'sse', read: zero });
  regs.push({ name: 'mxcsr', bits: 32, type: 'i386_mxcsr', feature: 'sse', group: 'vector', read: () => 0x1f80n });
  regs.push({ name: bits === 64 ? 'orig_rax' : 'orig_eax', bits, type: 'int', feature: 'linux', read: () => (bits === 64 ? (1n << 64n) - 1n : MASK32) });
  const sys = bits;
  regs.push({ name: 'fs_base', bits: sys, type: bits === 64 ? 'int64' : 'int32', feature: 'system', read: (s) => BigInt.asUintN(sys, BigInt(s.cpu.seg[Seg.FS]!.base)) });
  regs.push({ name: 'gs_base', bits: sys, type: bits === 64 ? 'int64' : 'int32', feature: 'system', read: (s) => BigInt.asUintN(sys, BigInt(s.cpu.seg[Seg.GS]!.base)) });
  regs.push({ name: 'k_gs_base', bits: sys, type: bits === 64 ? 'int64' : 'int32', feature: 'system', read: (s) => BigInt.asUintN(sys, s.cpu.msr.kernelGsBase) });
  regs.push(controlReg('cr0', sys));
  regs.push({ name: 'cr2', bits: sys, type: bits === 64 ? 'int64' : 'int32', feature: 'system', read: (s) => BigInt.asUintN(sys, s.cpu.cr2) });
  regs.push(controlReg('cr3', sys), controlReg('cr4', sys), controlReg('cr8', sys), controlReg('efer', 64));
  return regs;
}

export const REGISTERS: Record<Arch, readonly RegDef[]> = {
  amd64: [...GPR64.map((n, i) => gpr(n, GPR64_INDEX[i]!, 64)), ipReg(64), ...commonTail(64, 16)],
  i386: [...GPR32.map((n, i) => gpr(n, i, 32)), ipReg(32), ...commonTail(32, 8)],
};

/** A register value as gdb's target byte order (little-endian) hex. */
export function regHex(def: RegDef, value: bigint): string {
  let out = '';
  let v = BigInt.asUintN(def.bits, value);
  for (let i = 0; i < def.bits / 8; i++) {
    out += Number(v & 0xffn)
      .toString(16)
      .padStart(2, '0');
    v >>= 8n;
  }
  return out;
}

/** Little-endian hex → value (undefined when the text is not def.bits/4 hex digits). */
export function parseRegHex(def: RegDef, hex: string): bigint | undefined {
  if (hex.length !== def.bits / 4 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  let v = 0n;
  for (let i = hex.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(parseInt(hex.slice(i, i + 2), 16));
  return v;
}

/** The `g` packet: every register in order. */
export function readAll(arch: Arch, src: RegisterSource): string {
  return REGISTERS[arch].map((r) => regHex(r, r.read(src))).join('');
}

/** The `G` packet: writable registers take their new value, read-only ones are left. False: malformed. */
export function writeAll(arch: Arch, src: RegisterSource, hex: string): boolean {
  const regs = REGISTERS[arch];
  const total = regs.reduce((n, r) => n + r.bits / 4, 0);
  if (hex.length !== total) return false;
  const values: (bigint | undefined)[] = [];
  let at = 0;
  for (const r of regs) {
    const v = parseRegHex(r, hex.slice(at, at + r.bits / 4));
    if (v === undefined) return false;
    values.push(v);
    at += r.bits / 4;
  }
  regs.forEach((r, i) => {
    if (r.write !== undefined && r.read(src) !== values[i]) r.write(src, values[i]!);
  });
  return true;
}
