import type { Labels, Section } from './asm.ts';
import { le } from './ins.ts';
import { HAS_ERROR_CODE } from './vector.ts';
import { IDT_ENTRIES, KSTACK_TOP, LOW_CODE, RETURN_VECTOR, SEL, USER_REGION, USER_REGION_END } from './layout.ts';

/**
 * Descriptor tables and identity page tables of a conformance guest, as data sections. Handler
 * addresses come from labels `h32_<n>`, `h64_<n>`, `rh_<n>` (n in hex) defined by runtime.ts.
 */

export function handlerName(prefix: 'h32' | 'h64' | 'rh', vector: number): string {
  if (vector < 32 || (vector === RETURN_VECTOR && prefix !== 'rh')) return `${prefix}_${vector.toString(16)}`;
  return `${prefix}_unexpected`;
}

export { HAS_ERROR_CODE };

function seg(base: number, limit: number, access: number, flags: number): Uint8Array {
  const lo = (limit & 0xffff) | ((base & 0xffff) << 16);
  const hi =
    ((base >>> 16) & 0xff) | (access << 8) | (((limit >>> 16) & 0xf) << 16) | (flags << 20) | (base & 0xff000000);
  return le((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), 8);
}

/** GDT, TSSs and their pseudo-descriptors (labels gdt, gdt_desc, tss32, tss64). */
export function emitDescriptorTables(s: Section): void {
  s.align(16).label('gdt');
  s.data((L) => {
    const out = new Uint8Array(0x60);
    out.set(seg(0, 0, 0, 0), 0x00);
    out.set(seg(0, 0xfffff, 0x9a, 0xc), SEL.code32);
    out.set(seg(0, 0xfffff, 0x92, 0xc), SEL.data32);
    out.set(seg(0, 0xfffff, 0x9a, 0xa), SEL.code64);
    out.set(seg(LOW_CODE, 0xffff, 0x9a, 0x0), SEL.code16);
    out.set(seg(0, 0xffff, 0x92, 0x0), SEL.data16);
    out.set(seg(0, 0xfffff, 0xfa, 0xc), SEL.ucode32 & ~3);
    out.set(seg(0, 0xfffff, 0xf2, 0xc), SEL.udata32 & ~3);
    out.set(seg(0, 0xfffff, 0xfa, 0xa), SEL.ucode64 & ~3);
    out.set(seg(L('tss32'), 103, 0x89, 0), SEL.tss32);
    const t64 = L('tss64');
    out.set(seg(t64, 103, 0x89, 0), SEL.tss64);
    out.set(le(0, 8), SEL.tss64 + 8); // base 63:32 = 0
    return out;
  });
  s.label('gdt_end');
  s.align(8).label('gdt_desc');
  s.data((L) => concat(le(L('gdt_end') - L('gdt') - 1, 2), le(L('gdt'), 4)));
  s.align(16).label('tss32');
  s.data(() => {
    const t = new Uint8Array(104);
    t.set(le(KSTACK_TOP, 4), 4); // ESP0
    t.set(le(SEL.data32, 4), 8); // SS0
    t.set(le(104, 2), 102); // no I/O bitmap
    return t;
  });
  s.align(16).label('tss64');
  s.data(() => {
    const t = new Uint8Array(104);
    t.set(le(KSTACK_TOP, 8), 4); // RSP0
    t.set(le(104, 2), 102);
    return t;
  });
}

/** 32-bit IDT (idt32, idt32_desc) and 64-bit IDT (idt64, idt64_desc). */
export function emitIdts(s: Section): void {
  s.align(16).label('idt32');
  s.data((L) => {
    const out = new Uint8Array(IDT_ENTRIES * 8);
    for (let v = 0; v < IDT_ENTRIES; v++) {
      const off = L(handlerName('h32', v));
      const type = v === RETURN_VECTOR ? 0xee : 0x8e;
      const lo = (off & 0xffff) | (SEL.code32 << 16);
      const hi = (off & 0xffff0000) | (type << 8);
      out.set(le((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), 8), v * 8);
    }
    return out;
  });
  s.label('idt32_desc');
  s.data((L) => concat(le(IDT_ENTRIES * 8 - 1, 2), le(L('idt32'), 4)));
  s.align(16).label('idt64');
  s.data((L) => {
    const out = new Uint8Array(IDT_ENTRIES * 16);
    for (let v = 0; v < IDT_ENTRIES; v++) {
      const off = L(handlerName('h64', v));
      const type = v === RETURN_VECTOR ? 0xee : 0x8e;
      const lo = (off & 0xffff) | (SEL.code64 << 16);
      const hi = (off & 0xffff0000) | (type << 8);
      out.set(le((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), 8), v * 16);
    }
    return out;
  });
  s.label('idt64_desc');
  s.data((L) => concat(le(IDT_ENTRIES * 16 - 1, 2), le(L('idt64'), 4)));
  // Real-mode IVT image, copied to IVT at start-up.
  s.align(16).label('ivt_image');
  s.data((L) => {
    const out = new Uint8Array(256 * 4);
    for (let v = 0; v < 256; v++) {
      const off = L(handlerName('rh', v)) - LOW_CODE;
      out.set(le(((LOW_CODE >>> 4) << 16) | (off & 0xffff), 4), v * 4);
    }
    return out;
  });
}

export type PagingFormat = 'none' | 'legacy32' | 'pae' | 'long4' | 'long5';

/** Label and size of the top-level table a vector's CR3 must point at, per format. */
export const TOP_TABLE: Record<Exclude<PagingFormat, 'none'>, { label: string; size: number; align: number }> = {
  legacy32: { label: 'pt_pd32', size: 4096, align: 4096 },
  pae: { label: 'pt_pdpt', size: 32, align: 32 },
  long4: { label: 'pt_pml4', size: 4096, align: 4096 },
  long5: { label: 'pt_pml5', size: 4096, align: 4096 },
};
/**
 * A present PAE PDPTE with reserved bit 1 set (R41), written over entry 3 of the PDPT (offset
 * 24) right before the instruction. Entry 3 maps 3-4 GiB, which the guest never touches, so an
 * emulator that does not check PDPTEs keeps running; read as a 32-bit page directory the same
 * bytes are PDE 6 and 7 (24-32 MiB, unused), so a 32-bit directory at that page stays valid.
 */
export const BAD_PDPTE = { label: 'pt_pdpte_bad', size: 8, offset: 24 };

const P = 1n;
const RW = 2n;
const US = 4n;
const PS = 0x80n;

function isUser(addr: number): boolean {
  return addr >= USER_REGION && addr < USER_REGION_END;
}

/**
 * Identity page tables: 32-bit paging maps 0-8 MiB with 4 KiB pages; PAE and 4/5-level paging
 * map 0-1 GiB with 2 MiB pages (R86: PS is honoured without CR4.PSE). Only the user region is
 * user-accessible, so SMEP/SMAP in a vector's CR4 do not stop the guest's own code.
 */
export function emitPageTables(s: Section): void {
  s.align(4096).label('pt_pd32');
  s.data((L) => {
    const out = new Uint8Array(4096);
    out.set(le(BigInt(L('pt_pt32_0')) | P | RW | US, 4), 0);
    out.set(le(BigInt(L('pt_pt32_1')) | P | RW | US, 4), 4);
    return out;
  });
  for (const half of [0, 1]) {
    s.align(4096).label(`pt_pt32_${half}`);
    s.data(() => {
      const out = new Uint8Array(4096);
      for (let i = 0; i < 1024; i++) {
        const pa = half * 0x400000 + i * 0x1000;
        out.set(le(BigInt(pa) | P | RW | (isUser(pa) ? US : 0n), 4), i * 4);
      }
      return out;
    });
  }
  s.align(4096).label('pt_pd2m');
  s.data(() => {
    const out = new Uint8Array(4096);
    for (let i = 0; i < 512; i++) {
      const pa = i * 0x200000;
      out.set(le(BigInt(pa) | P | RW | PS | (isUser(pa) ? US : 0n), 8), i * 8);
    }
    return out;
  });
  s.align(4096).label('pt_pdpt4');
  s.data((L) => concat(le(BigInt(L('pt_pd2m')) | P | RW | US, 8), new Uint8Array(4088)));
  s.align(4096).label('pt_pml4');
  s.data((L) => concat(le(BigInt(L('pt_pdpt4')) | P | RW | US, 8), new Uint8Array(4088)));
  s.align(4096).label('pt_pml5');
  s.data((L) => concat(le(BigInt(L('pt_pml4')) | P | RW | US, 8), new Uint8Array(4088)));
  s.align(32).label('pt_pdpt');
  s.data((L) => concat(le(BigInt(L('pt_pd2m')) | P, 8), new Uint8Array(24)));
  s.align(8).label('pt_pdpte_bad');
  s.data((L) => le(BigInt(L('pt_pd2m')) | P | RW, 8));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export type { Labels };
