import { Code, Instruction, Register } from 'iced-x86';
import { Section, assemble } from './asm.ts';
import { call, le, movImm32, op, store } from './ins.ts';
import { DEBUG_EXIT, IMAGE_BASE, KSTACK_TOP, VARS } from './layout.ts';
import { emitPrint, emitStrings } from './runtime.ts';
import { concat } from './tables.ts';

/**
 * A tiny guest that prints CPUID leaves, to check the spec's CPU model (spec/cpu/qemu-max.cpu)
 * against what `-cpu max` really reports. Line format:
 *   CPUID <leaf>.<subleaf> eax=<8> ebx=<8> ecx=<8> edx=<8>
 */

export const CPUID_LEAVES: readonly [number, number][] = [
  [0x0, 0],
  [0x1, 0],
  [0x7, 0],
  [0x7, 1],
  [0xd, 0],
  [0x80000001, 0],
  [0x80000008, 0],
];

const R = Register;

export function buildCpuidGuest(leaves: readonly [number, number][] = CPUID_LEAVES): Uint8Array {
  const header = new Section('header', 32);
  const main = new Section('main', 32);
  const data = new Section('data', 32);
  header.label('image_start');
  header.data((L) =>
    concat(
      le(0x1badb002, 4),
      le(0x00010000, 4),
      le(-(0x1badb002 + 0x00010000), 4),
      le(L('image_start'), 4),
      le(L('image_start'), 4),
      le(L('image_end'), 4),
      le(L('image_end'), 4),
      le(L('entry'), 4),
    ),
  );
  main.label('entry');
  main.ins(() => movImm32(R.ESP, KSTACK_TOP));
  leaves.forEach(([leaf, sub], i) => {
    main.ins(() => movImm32(R.EAX, leaf));
    main.ins(() => movImm32(R.ECX, sub));
    main.ins(() => op(Code.Cpuid));
    [R.EAX, R.EBX, R.ECX, R.EDX].forEach((reg, j) => main.ins(() => store(32, VARS + 4 * j, reg)));
    main.ins((L) => movImm32(R.ESI, L(`s_leaf_${i}`)));
    main.ins((L) => call(32, L('puts')));
    for (let j = 0; j < 4; j++) {
      main.ins((L) => movImm32(R.ESI, L(`s_reg_${j}`)));
      main.ins((L) => call(32, L('puts')));
      main.ins(() => movImm32(R.ESI, VARS + 4 * j - 1));
      main.ins(() => movImm32(R.ECX, 4));
      main.ins((L) => call(32, L('hexmem')));
    }
    main.ins((L) => movImm32(R.ESI, L('s_nl')));
    main.ins((L) => call(32, L('puts')));
  });
  main.ins(() => Instruction.createRegU32(Code.Mov_r16_imm16, R.DX, DEBUG_EXIT));
  main.ins(() => Instruction.createRegU32(Code.Mov_r8_imm8, R.AL, 0));
  main.ins(() => Instruction.createRegReg(Code.Out_DX_AL, R.DX, R.AL));
  main.ins(() => op(Code.Hlt));
  emitPrint(main);
  emitStrings(data, []);
  leaves.forEach(([leaf, sub], i) => {
    data.label(`s_leaf_${i}`);
    data.data(() => new TextEncoder().encode(`CPUID ${leaf.toString(16)}.${sub}\0`));
  });
  ['eax', 'ebx', 'ecx', 'edx'].forEach((n, j) => {
    data.label(`s_reg_${j}`);
    data.data(() => new TextEncoder().encode(` ${n}=\0`));
  });
  return assemble(IMAGE_BASE, [header, main, data]).bytes;
}

export interface CpuidLeaf {
  leaf: number;
  subleaf: number;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

export function parseCpuid(text: string): CpuidLeaf[] {
  const out: CpuidLeaf[] = [];
  const re = /^CPUID ([0-9a-f]+)\.(\d+) eax=([0-9a-f]{8}) ebx=([0-9a-f]{8}) ecx=([0-9a-f]{8}) edx=([0-9a-f]{8})/;
  for (const line of text.split('\n')) {
    const m = re.exec(line.trim());
    if (m === null) continue;
    const h = (i: number): number => Number.parseInt(m[i] ?? '0', 16);
    out.push({ leaf: h(1), subleaf: Number(m[2]), eax: h(3), ebx: h(4), ecx: h(5), edx: h(6) });
  }
  return out;
}
