import { mnemonic, type ConformVector, type ObservedReg } from './vector.ts';

/**
 * The result line a conformance guest prints per vector on COM1 (one line, fixed fields, all hex
 * without 0x, fixed width so outputs diff cleanly):
 *
 *   CONFORM <id> exc=VV ec=EEEEEEEE ph=PP rax=<16> rdx=<16> cr0=<16> cr3=<16> cr4=<16> efer=<16> xcr0=<16> cr8=<16> obs=OO
 *
 * exc: exception vector delivered while running the vector (ff = none; ee = an unexpected vector
 * above 31). ec: its error code (ffffffff = none pushed). ph: 02 when the exception came from the
 * vector's instruction, 01 when it came while setting up the initial state. rax/rdx: registers
 * after the instruction (results of MOV from CR, SMSW, RDMSR). cr0..efer: read back at CPL 0 in
 * the vector's mode after the instruction. obs: bit 0 = xcr0 was read (CR4.OSXSAVE=1), bit 1 =
 * cr8 was read (64-bit mode). The image starts with `CONFORM-BEGIN` and ends with `CONFORM-END`.
 */

export interface Observation {
  exception: { vector: number; errorCode: number | undefined } | undefined;
  /** The exception hit while establishing the vector's initial state. */
  setupFault: boolean;
  rax: bigint;
  rdx: bigint;
  regs: Partial<Record<ObservedReg, bigint>>;
}

const LINE =
  /^CONFORM (\S+) exc=([0-9a-f]{2}) ec=([0-9a-f]{8}) ph=([0-9a-f]{2}) rax=([0-9a-f]{16}) rdx=([0-9a-f]{16}) cr0=([0-9a-f]{16}) cr3=([0-9a-f]{16}) cr4=([0-9a-f]{16}) efer=([0-9a-f]{16}) xcr0=([0-9a-f]{16}) cr8=([0-9a-f]{16}) obs=([0-9a-f]{2})$/;

export interface ParsedOutput {
  results: Map<string, Observation>;
  begun: boolean;
  ended: boolean;
}

export function parseOutput(text: string): ParsedOutput {
  const results = new Map<string, Observation>();
  let begun = false;
  let ended = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === 'CONFORM-BEGIN') begun = true;
    else if (line === 'CONFORM-END') ended = true;
    const m = LINE.exec(line);
    if (m === null) continue;
    const h = (i: number): bigint => BigInt(`0x${m[i]}`);
    const vec = Number(h(2));
    const ec = Number(h(3));
    const obs = Number(h(13));
    const regs: Partial<Record<ObservedReg, bigint>> = { cr0: h(7), cr3: h(8), cr4: h(9), efer: h(10) };
    if ((obs & 1) !== 0) regs.xcr0 = h(11);
    if ((obs & 2) !== 0) regs.cr8 = h(12);
    results.set(m[1] ?? '', {
      exception: vec === 0xff ? undefined : { vector: vec, errorCode: ec === 0xffffffff ? undefined : ec },
      setupFault: vec !== 0xff && Number(h(4)) === 1,
      rax: h(5),
      rdx: h(6),
      regs,
    });
  }
  return { results, begun, ended };
}

/** The value the instruction returned, as the vector defines it. */
export function resultOf(v: ConformVector, o: Observation): bigint | undefined {
  switch (v.instr.kind) {
    case 'rdmsr':
      return ((o.rdx & 0xffffffffn) << 32n) | (o.rax & 0xffffffffn);
    case 'mov-from-cr':
    case 'smsw':
      return v.mode === 'long64' ? o.rax : o.rax & 0xffffffffn;
    default:
      return undefined;
  }
}

/** Short text of an observation for tables: `ok`, `#GP(0)`, `setup #GP(0)`, plus differing regs. */
export function outcomeText(o: Observation): string {
  if (o.exception === undefined) return 'ok';
  const m = mnemonic(o.exception);
  return o.setupFault ? `setup ${m}` : m;
}
