/**
 * Fuzz guest operations: small, plausible instruction sequences as data (so fast-check can shrink
 * them and a failing case prints readably), and their machine-code encoding for 16-, 32- and
 * 64-bit code. Registers: 0 EAX, 1 ECX, 2 EDX, 3 EBX, 6 ESI, 7 EDI (ESP and EBP are left alone).
 */

export type Bits = 16 | 32 | 64;

export type AluKind = 'add' | 'or' | 'adc' | 'sbb' | 'and' | 'sub' | 'xor' | 'cmp';
const ALU_INDEX: Record<AluKind, number> = { add: 0, or: 1, adc: 2, sbb: 3, and: 4, sub: 5, xor: 6, cmp: 7 };

export type SegName = 'es' | 'ss' | 'ds' | 'fs' | 'gs';
const SREG: Record<SegName, number> = { es: 0, ss: 2, ds: 3, fs: 4, gs: 5 };

export type Op =
  /** mov eax/rax, value; mov crN, eax/rax (R1..R109: the trapped writes). */
  | { k: 'movcr'; cr: 0 | 2 | 3 | 4 | 8; value: bigint }
  /** mov eax, crN; xor eax, mask; mov crN, eax: toggle bits of the current value. */
  | { k: 'togglecr'; cr: 0 | 3 | 4; mask: number }
  | { k: 'readcr'; cr: 0 | 2 | 3 | 4 | 8 }
  | { k: 'wrmsr'; msr: number; value: bigint }
  | { k: 'rdmsr'; msr: number }
  | { k: 'lmsw'; value: number }
  | { k: 'clts' }
  | { k: 'smsw'; addr: number }
  | { k: 'farjmp'; sel: number; off: number }
  | { k: 'loadseg'; seg: SegName; sel: number }
  | { k: 'store'; reg: number; addr: number }
  | { k: 'load'; reg: number; addr: number }
  | { k: 'rmw'; alu: AluKind; reg: number; addr: number }
  | { k: 'movi'; reg: number; value: number }
  | { k: 'alui'; alu: AluKind; reg: number; value: number; wide: boolean }
  | { k: 'alur'; alu: AluKind; dst: number; src: number; wide: boolean }
  | { k: 'shift'; right: boolean; reg: number; count: number }
  | { k: 'imul'; dst: number; src: number }
  | { k: 'pushpop'; a: number; b: number }
  /** Write `value` to an 8-byte page-table slot at `addr` (two 32-bit stores). */
  | { k: 'poke64'; addr: number; value: bigint }
  | { k: 'invlpg'; addr: number }
  /** Load GDTR/IDTR from a pseudo-descriptor built at `scratch`. */
  | { k: 'ldt'; which: 'gdt' | 'idt'; base: number; limit: number; scratch: number }
  | { k: 'int'; n: number }
  | { k: 'ud2' }
  | { k: 'hlt' }
  | { k: 'cpuid'; leaf: number; sub: number }
  | { k: 'out'; port: number; value: number }
  | { k: 'in'; port: number }
  | { k: 'bytes'; bytes: number[] }
  /** IRET to CPL 3 at the next op (user code/data segments and the TSS of guest-image.ts);
   * later privileged ops then fault (#GP) and exceptions switch to the TSS stack. No-op in
   * 16-bit code. */
  | { k: 'touser' };

/** User-mode selectors of the fuzz GDT (guest-image.ts): code32, data, code64, with RPL 3. */
export const USER_CS32 = 0x23;
export const USER_DS = 0x2b;
export const USER_CS64 = 0x33;
export const USER_STACK = 0x170000;

function le(value: number | bigint, size: number): number[] {
  let v = BigInt.asUintN(size * 8, BigInt(value));
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

/** Operand-size prefix for a 32-bit operation in 16-bit code. */
function o32(bits: Bits): number[] {
  return bits === 16 ? [0x66] : [];
}

/** Absolute 32-bit memory operand (ModRM reg field `reg`): prefixes and ModRM/SIB/disp bytes. */
function absMem(bits: Bits, reg: number, addr: number): { pre: number[]; modrm: number[] } {
  const disp = le(addr >>> 0, 4);
  if (bits === 64) return { pre: [], modrm: [0x04 | (reg << 3), 0x25, ...disp] };
  return { pre: bits === 16 ? [0x67] : [], modrm: [0x05 | (reg << 3), ...disp] };
}

function mem(bits: Bits, opcode: number[], reg: number, addr: number, opsize32 = true): number[] {
  const m = absMem(bits, reg, addr);
  return [...(opsize32 ? o32(bits) : []), ...m.pre, ...opcode, ...m.modrm];
}

function movImm32(bits: Bits, reg: number, value: number): number[] {
  return [...o32(bits), 0xb8 + reg, ...le(value >>> 0, 4)];
}

function movImmAcc(bits: Bits, value: bigint): number[] {
  if (bits === 64) return [0x48, 0xb8, ...le(value, 8)];
  return movImm32(bits, 0, Number(BigInt.asUintN(32, value)));
}

function crAccess(bits: Bits, cr: number, toCr: boolean): number[] {
  const op = toCr ? 0x22 : 0x20;
  if (cr === 8) return bits === 64 ? [0x44, 0x0f, op, 0xc0] : [0xf0, 0x0f, op, 0xc0]; // AMD: LOCK = CR8
  return [0x0f, op, 0xc0 | (cr << 3)];
}

function wide(bits: Bits, w: boolean): number[] {
  return bits === 64 && w ? [0x48] : o32(bits);
}

/** Machine code for one op. */
export function encodeOp(op: Op, bits: Bits): number[] {
  switch (op.k) {
    case 'movcr':
      return [...movImmAcc(bits, op.value), ...crAccess(bits, op.cr, true)];
    case 'togglecr':
      return [...crAccess(bits, op.cr, false), ...o32(bits), 0x35, ...le(op.mask >>> 0, 4), ...crAccess(bits, op.cr, true)];
    case 'readcr':
      return crAccess(bits, op.cr, false);
    case 'wrmsr': {
      const lo = Number(op.value & 0xffff_ffffn);
      const hi = Number((op.value >> 32n) & 0xffff_ffffn);
      return [...movImm32(bits, 1, op.msr), ...movImm32(bits, 0, lo), ...movImm32(bits, 2, hi), 0x0f, 0x30];
    }
    case 'rdmsr':
      return [...movImm32(bits, 1, op.msr), 0x0f, 0x32];
    case 'lmsw':
      return [...movImm32(bits, 0, op.value), 0x0f, 0x01, 0xf0];
    case 'clts':
      return [0x0f, 0x06];
    case 'smsw':
      return mem(bits, [0x0f, 0x01], 4, op.addr, false);
    case 'farjmp':
      if (bits === 64) {
        // push selector, push offset, retfq
        return [...movImm32(bits, 0, op.sel), 0x50, ...movImm32(bits, 0, op.off), 0x50, 0x48, 0xcb];
      }
      if (bits === 16) return [0xea, ...le(op.off & 0xffff, 2), ...le(op.sel, 2)];
      return [0xea, ...le(op.off >>> 0, 4), ...le(op.sel, 2)];
    case 'loadseg':
      return [...movImm32(bits, 0, op.sel), 0x8e, 0xc0 | (SREG[op.seg] << 3)];
    case 'store':
      return mem(bits, [0x89], op.reg, op.addr);
    case 'load':
      return mem(bits, [0x8b], op.reg, op.addr);
    case 'rmw':
      return mem(bits, [ALU_INDEX[op.alu] * 8 + 1], op.reg, op.addr);
    case 'movi':
      return movImm32(bits, op.reg, op.value);
    case 'alui':
      return [...wide(bits, op.wide), 0x81, 0xc0 | (ALU_INDEX[op.alu] << 3) | op.reg, ...le(op.value >>> 0, 4)];
    case 'alur':
      return [...wide(bits, op.wide), ALU_INDEX[op.alu] * 8 + 1, 0xc0 | (op.src << 3) | op.dst];
    case 'shift':
      return [...o32(bits), 0xc1, 0xc0 | ((op.right ? 5 : 4) << 3) | op.reg, op.count & 31];
    case 'imul':
      return [...o32(bits), 0x0f, 0xaf, 0xc0 | (op.dst << 3) | op.src];
    case 'pushpop':
      return [...o32(bits), 0x50 + op.a, ...o32(bits), 0x58 + op.b];
    case 'poke64': {
      const lo = Number(op.value & 0xffff_ffffn);
      const hi = Number((op.value >> 32n) & 0xffff_ffffn);
      return [...movImm32(bits, 0, lo), ...mem(bits, [0x89], 0, op.addr), ...movImm32(bits, 0, hi), ...mem(bits, [0x89], 0, op.addr + 4)];
    }
    case 'invlpg':
      return mem(bits, [0x0f, 0x01], 7, op.addr, false);
    case 'ldt': {
      const bytes = [...le(op.limit, 2), ...le(op.base >>> 0, bits === 64 ? 8 : 4)];
      const out: number[] = [];
      bytes.forEach((b, i) => out.push(...mem(bits, [0xc6], 0, op.scratch + i, false), b));
      // In 16-bit code a 32-bit operand size makes LGDT/LIDT take all 32 base bits.
      out.push(...mem(bits, [0x0f, 0x01], op.which === 'gdt' ? 2 : 3, op.scratch, true));
      return out;
    }
    case 'int':
      return [0xcd, op.n & 0xff];
    case 'ud2':
      return [0x0f, 0x0b];
    case 'hlt':
      return [0xf4];
    case 'cpuid':
      return [...movImm32(bits, 0, op.leaf), ...movImm32(bits, 1, op.sub), 0x0f, 0xa2];
    case 'out':
      return [...movImm32(bits, 0, op.value), ...movImm32(bits, 2, op.port & 0xffff), 0xee];
    case 'in':
      return [...movImm32(bits, 2, op.port & 0xffff), 0xec];
    case 'bytes':
      return op.bytes.map((b) => b & 0xff);
    case 'touser': {
      if (bits === 16) return [];
      // push SS, ESP, EFLAGS, CS; call next (pushes EIP); add [esp], to-after-iret; iret
      const frame = [0xb8, ...le(USER_DS, 4), 0x50, 0xb8, ...le(USER_STACK, 4), 0x50, 0x9c];
      if (bits === 64) return [...frame, 0xb8, ...le(USER_CS64, 4), 0x50, 0xe8, 0, 0, 0, 0, 0x48, 0x83, 0x04, 0x24, 7, 0x48, 0xcf];
      return [...frame, 0xb8, ...le(USER_CS32, 4), 0x50, 0xe8, 0, 0, 0, 0, 0x83, 0x04, 0x24, 5, 0xcf];
    }
  }
}

export function encodeOps(ops: readonly Op[], bits: Bits): number[] {
  const out: number[] = [];
  for (const op of ops) out.push(...encodeOp(op, bits));
  return out;
}
