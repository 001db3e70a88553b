/**
 * iced-x86 Instruction → DecodedInsn (once per cache miss). Everything the handlers need is
 * copied out here so the iced object can be freed immediately.
 */
import { Code, MemorySizeExt, Mnemonic, OpKind, Register, type Instruction } from 'iced-x86';
import { BASE_RIP, DecodedInsn, OpK, type Handler } from './decoded.ts';
import { handlerFor, refineHandler } from './handlers.ts';

/** iced Register → GPR number (0..15; AH..BH = 16..19) and size, or -1. */
function gprOf(reg: number): [number, number] {
  if (reg >= Register.AL && reg <= Register.R15L) {
    const i = reg - Register.AL;
    if (i < 4) return [i, 1];
    if (i < 8) return [16 + i - 4, 1]; // AH CH DH BH
    return [i - 4, 1]; // SPL BPL SIL DIL R8L..R15L
  }
  if (reg >= Register.AX && reg <= Register.R15W) return [reg - Register.AX, 2];
  if (reg >= Register.EAX && reg <= Register.R15D) return [reg - Register.EAX, 4];
  if (reg >= Register.RAX && reg <= Register.R15) return [reg - Register.RAX, 8];
  return [-1, 0];
}

function baseIndexOf(reg: number): number {
  if (reg === Register.None) return -1;
  if (reg === Register.RIP || reg === Register.EIP) return BASE_RIP;
  return gprOf(reg)[0];
}

function segOf(reg: number): number {
  return reg >= Register.ES && reg <= Register.GS ? reg - Register.ES : -1;
}

const invalidHandler: Handler = (cpu) => cpu.unsupported('(invalid)');

function immSize(kind: OpKind): number {
  switch (kind) {
    case OpKind.Immediate8:
    case OpKind.Immediate8_2nd:
      return 1;
    case OpKind.Immediate16:
    case OpKind.Immediate8to16:
      return 2;
    case OpKind.Immediate32:
    case OpKind.Immediate8to32:
      return 4;
    default:
      return 8;
  }
}

function hex(bytes: Uint8Array, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return s;
}

const LEGACY_PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

/**
 * Scan legacy/REX prefixes for the operand-size attribute. A REX prefix counts only when it
 * immediately precedes the opcode (a legacy prefix after it cancels it).
 */
function operandSizeAttr(bytes: Uint8Array, len: number, bitness: number): 2 | 4 | 8 {
  let has66 = false;
  let rexW = false;
  for (let i = 0; i < len; i++) {
    const b = bytes[i]!;
    if (LEGACY_PREFIXES.has(b)) {
      if (b === 0x66) has66 = true;
      rexW = false;
    } else if (bitness === 64 && (b & 0xf0) === 0x40) {
      rexW = (b & 8) !== 0;
    } else {
      break;
    }
  }
  if (rexW) return 8;
  if (bitness === 16) return has66 ? 4 : 2;
  return has66 ? 2 : 4;
}

/** Convert. `instr` null = invalid encoding (#UD when executed). */
export function convertInstruction(instr: Instruction | null, bytes: Uint8Array, bitness: number): DecodedInsn {
  if (instr === null) {
    const bad = new DecodedInsn(invalidHandler);
    bad.length = 1;
    bad.bytes = hex(bytes, 1);
    bad.text = '(bad)';
    return bad;
  }
  const code = instr.code;
  const mnemonic = instr.mnemonic;
  const d = new DecodedInsn(handlerFor(code, mnemonic));
  d.length = instr.length;
  d.code = code;
  d.mnemonic = mnemonic;
  d.bytes = hex(bytes, d.length);
  d.osz = operandSizeAttr(bytes, d.length, bitness);
  d.rep = instr.hasRepePrefix || instr.hasRepPrefix ? 1 : instr.hasRepnePrefix ? 2 : 0;
  d.lock = instr.hasLockPrefix;
  d.segPrefix = instr.hasSegmentPrefix ? segOf(instr.segmentPrefix) : -1;
  d.cond = instr.conditionCode;
  d.opCount = instr.opCount;

  // Address size: from the memory operand's registers, else mode and 0x67.
  let asz: 2 | 4 | 8 = bitness === 64 ? 8 : bitness === 32 ? 4 : 2;
  for (let i = 0; i < d.length; i++) {
    const b = bytes[i]!;
    if (b === 0x67) {
      asz = bitness === 64 ? 4 : bitness === 32 ? 2 : 4;
      break;
    }
    if (!(b === 0x66 || b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e || b === 0x64 || b === 0x65 || b === 0xf0 || b === 0xf2 || b === 0xf3 || (bitness === 64 && (b & 0xf0) === 0x40))) break;
  }
  d.addrSize = asz;

  let memSize = 0;
  for (let i = 0; i < d.opCount && i < 3; i++) {
    const kind = instr.opKind(i);
    let k: OpK = OpK.Other;
    let r = 0;
    let s = 0;
    switch (kind) {
      case OpKind.Register: {
        const reg = instr.opRegister(i);
        const [g, size] = gprOf(reg);
        if (g >= 0) {
          k = OpK.Gpr;
          r = g;
          s = size;
        } else if (segOf(reg) >= 0) {
          k = OpK.SegReg;
          r = segOf(reg);
          s = 2;
        } else if (reg >= Register.CR0 && reg <= Register.CR15) {
          k = OpK.Cr;
          r = reg - Register.CR0;
          s = bitness === 64 ? 8 : 4;
        } else if (reg >= Register.ST0 && reg <= Register.ST7) {
          k = OpK.St;
          r = reg - Register.ST0;
          s = 10;
        } else if (reg >= Register.DR0 && reg <= Register.DR15) {
          k = OpK.Dr;
          r = reg - Register.DR0;
          s = bitness === 64 ? 8 : 4;
        } else if (reg >= Register.XMM0 && reg <= Register.XMM15) {
          k = OpK.Xmm;
          r = reg - Register.XMM0;
          s = 16;
        } else if (reg >= Register.MM0 && reg <= Register.MM7) {
          k = OpK.Mmx;
          r = reg - Register.MM0;
          s = 8;
        }
        break;
      }
      case OpKind.NearBranch16:
      case OpKind.NearBranch32:
      case OpKind.NearBranch64: {
        k = OpK.Branch;
        const target = instr.nearBranchTarget;
        const bits = kind === OpKind.NearBranch16 ? 16 : kind === OpKind.NearBranch32 ? 32 : 64;
        s = bits / 8;
        d.rel = Number(BigInt.asIntN(bits, target - BigInt(d.length)));
        break;
      }
      case OpKind.FarBranch16:
      case OpKind.FarBranch32:
        k = OpK.FarPtr;
        d.farSel = instr.farBranchSelector;
        d.farOff = kind === OpKind.FarBranch16 ? instr.farBranch16 : instr.farBranch32 >>> 0;
        s = kind === OpKind.FarBranch16 ? 2 : 4;
        break;
      case OpKind.Immediate8_2nd:
        k = OpK.Imm;
        d.imm2 = instr.immediate8_2nd;
        s = 1;
        break;
      case OpKind.Immediate8:
      case OpKind.Immediate16:
      case OpKind.Immediate32:
      case OpKind.Immediate64:
      case OpKind.Immediate8to16:
      case OpKind.Immediate8to32:
      case OpKind.Immediate8to64:
      case OpKind.Immediate32to64: {
        k = OpK.Imm;
        s = immSize(kind);
        const v = BigInt.asUintN(64, instr.immediate(i));
        d.imm = Number(v & 0xffffffffn);
        d.immHi = Number(v >> 32n);
        break;
      }
      case OpKind.MemorySegSI:
      case OpKind.MemorySegESI:
      case OpKind.MemorySegRSI:
        k = OpK.StrSrc;
        d.seg = segOf(instr.memorySegment);
        memSize = MemorySizeExt.size(instr.memorySize);
        s = memSize;
        break;
      case OpKind.MemorySegDI:
      case OpKind.MemorySegEDI:
      case OpKind.MemorySegRDI:
        // MASKMOVQ-style DS:DI destination; treat like a source-segment operand.
        k = OpK.StrSrc;
        d.seg = segOf(instr.memorySegment);
        memSize = MemorySizeExt.size(instr.memorySize);
        s = memSize;
        break;
      case OpKind.MemoryESDI:
      case OpKind.MemoryESEDI:
      case OpKind.MemoryESRDI:
        k = OpK.StrDst;
        memSize = MemorySizeExt.size(instr.memorySize);
        s = memSize;
        break;
      case OpKind.Memory: {
        k = OpK.Mem;
        d.seg = segOf(instr.memorySegment);
        d.base = baseIndexOf(instr.memoryBase);
        d.index = baseIndexOf(instr.memoryIndex);
        d.scale = instr.memoryIndexScale;
        const disp = instr.memoryDisplacement;
        if (d.base === BASE_RIP) {
          d.disp = Number(BigInt.asIntN(64, disp - BigInt(d.length)));
        } else if (asz === 8 || (d.base < 0 && d.index < 0 && bitness === 64)) {
          d.disp = Number(BigInt.asIntN(64, disp));
        } else {
          d.disp = Number(BigInt.asIntN(32, disp));
        }
        memSize = MemorySizeExt.size(instr.memorySize);
        s = memSize;
        break;
      }
    }
    if (i === 0) {
      d.k0 = k;
      d.r0 = r;
      d.s0 = s;
    } else if (i === 1) {
      d.k1 = k;
      d.r1 = r;
      d.s1 = s;
    } else {
      d.k2 = k;
      d.r2 = r;
      d.s2 = s;
    }
  }
  const natural = d.s0 === 1 || d.s0 === 2 || d.s0 === 4 || d.s0 === 8 ? d.s0 : memSize === 1 || memSize === 2 || memSize === 4 || memSize === 8 ? memSize : d.osz;
  d.opSize = natural as 1 | 2 | 4 | 8;
  refineHandler(d);
  return d;
}

/** Name of a mnemonic (for #UD counting). */
export function mnemonicName(m: number): string {
  return (Mnemonic as unknown as Record<number, string>)[m] ?? `#${m}`;
}

/** Name of a code. */
export function codeName(c: number): string {
  return (Code as unknown as Record<number, string>)[c] ?? `#${c}`;
}
