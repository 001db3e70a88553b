import { Encoder, type Instruction } from 'iced-x86';

/**
 * A tiny linker over iced-x86's Encoder: code and data live in sections of one bitness each;
 * every item may refer to any label of any section (addresses are linear). Layout is found by
 * iterating to a fixpoint (sizes only change when a displacement crosses the disp8 range), so no
 * assembler and no relocation records are needed.
 */

export type Bits = 16 | 32 | 64;

/** Label lookup: the linear address of a label (0 in the first pass). */
export type Labels = (name: string) => number;

type Item =
  | { k: 'label'; name: string }
  | { k: 'ins'; make: (L: Labels) => Instruction }
  | { k: 'data'; make: (L: Labels) => Uint8Array }
  | { k: 'align'; n: number };

export class Section {
  readonly items: Item[] = [];
  /**
   * @param linkAddr when set, the section runs at this linear address (the guest copies it there
   *   at start-up); its bytes still sit in the image after the previous section.
   * @param segBase for 16-bit real-mode code: IP values are linear address minus this base.
   */
  constructor(
    readonly name: string,
    readonly bits: Bits,
    readonly linkAddr?: number,
    readonly segBase = 0,
  ) {}

  label(name: string): this {
    this.items.push({ k: 'label', name });
    return this;
  }
  ins(make: (L: Labels) => Instruction): this {
    this.items.push({ k: 'ins', make });
    return this;
  }
  data(make: (L: Labels) => Uint8Array): this {
    this.items.push({ k: 'data', make });
    return this;
  }
  align(n: number): this {
    this.items.push({ k: 'align', n });
    return this;
  }
}

export interface Assembled {
  /** Image bytes, starting at `base`. */
  bytes: Uint8Array;
  base: number;
  labels: ReadonlyMap<string, number>;
  /** Per section: where its bytes sit in the image and where it runs. */
  sections: { name: string; loadAddr: number; linkAddr: number; size: number }[];
}

const MAX_PASSES = 8;

export function assemble(base: number, sections: readonly Section[]): Assembled {
  let labels = new Map<string, number>();
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const result = layout(base, sections, labels, pass > 0);
    if (pass > 0 && sameLabels(labels, result.labels)) return result;
    labels = new Map(result.labels);
  }
  throw new Error('conform/asm: layout did not converge');
}

function sameLabels(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function layout(
  base: number,
  sections: readonly Section[],
  prev: ReadonlyMap<string, number>,
  strict: boolean,
): Assembled {
  const L: Labels = (name) => {
    const v = prev.get(name);
    if (v === undefined) {
      if (strict) throw new Error(`conform/asm: undefined label '${name}'`);
      return 0;
    }
    return v;
  };
  const chunks: Uint8Array[] = [];
  const labels = new Map<string, number>();
  const placed: Assembled['sections'] = [];
  let load = base;
  let cursor = base;
  for (const s of sections) {
    load = alignUp(load, 16);
    const link0 = s.linkAddr ?? load;
    let pc = link0;
    const enc = new Encoder(s.bits);
    const parts: Uint8Array[] = [];
    for (const it of s.items) {
      switch (it.k) {
        case 'label':
          if (labels.has(it.name)) throw new Error(`conform/asm: duplicate label '${it.name}'`);
          labels.set(it.name, pc);
          break;
        case 'align': {
          const pad = alignUp(pc, it.n) - pc;
          if (pad > 0) parts.push(new Uint8Array(pad));
          pc += pad;
          break;
        }
        case 'data': {
          const d = it.make(L);
          parts.push(d);
          pc += d.length;
          break;
        }
        case 'ins': {
          const ins = it.make(L);
          const n = enc.encode(ins, BigInt(pc - s.segBase));
          ins.free();
          parts.push(enc.takeBuffer());
          pc += n;
          break;
        }
      }
    }
    enc.free();
    const size = pc - link0;
    if (load > cursor) chunks.push(new Uint8Array(load - cursor));
    for (const p of parts) chunks.push(p);
    placed.push({ name: s.name, loadAddr: load, linkAddr: link0, size });
    // Derived labels: where a section's bytes sit in the image and how many there are.
    labels.set(`${s.name}_load`, load);
    labels.set(`${s.name}_size`, size);
    cursor = load + size;
    load = cursor;
  }
  labels.set('image_end', cursor);
  const bytes = new Uint8Array(cursor - base);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.length;
  }
  if (off !== bytes.length) throw new Error('conform/asm: size mismatch');
  return { bytes, base, labels, sections: placed };
}

export function alignUp(v: number, n: number): number {
  return Math.ceil(v / n) * n;
}
