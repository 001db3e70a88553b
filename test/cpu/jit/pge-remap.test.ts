/**
 * A guest remaps the page it runs on, then toggles CR4.PGE (which flushes the TLB, SDM 4.10.4.1):
 * the next instruction comes from the new frame, under every paging strategy, interpreted or in
 * a compiled block (the toggles are exit sites; Cpu.programControl keeps the fetch page on a
 * PGE toggle only while the TLB is clean, and the store to the page table ended that).
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/runtime/machine/machine.ts';

/*
 * nasm -f bin (org 0x7C00): protected mode, a page directory at 0x10000 with one table at
 * 0x11000 identity-mapping 0..4 MiB, two copies of a blob in frames 0x20000 (F1) and 0x21000
 * (F2), linear 0x300000 mapped to F1, ESI = CR4 | toggle and EDI = CR4 without PGE, CR0.PG.
 * Then `call 0x300000` with EBX = 0 (the blob returns at once: its page is in the TLB), and
 * `jmp 0x300000` with EBX = 1: the blob stores PTE(0x300000) = F2, `jmp $+2`,
 * `mov cr4, esi; mov cr4, edi`, then `mov eax, 1; hlt` in F1 and `mov eax, 2; hlt` in F2.
 * `toggle` is the image's last dword (0x80: PGE).
 */
const IMAGE = [
  'fa0f0116087d0f20c06683c8010f22c0ea157c080066b810008ed88ec08ed0bc00900000bf00100100b803000000b9000400008907050010',
  '000083c7044975f3c7050000010003100100beb07c0000bf00000200b91d000000f3a4becd7c0000bf00100200b91d000000f3a4c705001c',
  '010003000200b8000001000f22d80f20e0257fffffff89c789c60b35107d00000f20c00d000000800f22c031dbb800003000ffd0bb010000',
  '00b800003000ffe085db7418c705001c010003100200eb000f22e60f22e7b801000000f4c385db7418c705001c010003100200eb000f22e6',
  '0f22e7b802000000f4c39090909090900000000000000000ffff0000009acf00ffff00000092cf001700f07c0000909080000000',
].join('');

function image(toggle: number): Uint8Array {
  const bytes = Uint8Array.from(Buffer.from(IMAGE, 'hex'));
  new DataView(bytes.buffer).setUint32(bytes.length - 4, toggle, true);
  return bytes;
}

describe('a PGE toggle after the running page was remapped', () => {
  for (const paging of ['nested', 'shadow', 'direct'] as const) {
    for (const jit of [false, true]) {
      it(`${paging}, ${jit ? 'compiled' : 'interpreted'}: the next instruction comes from the new frame`, () => {
        const m = new Machine({ memMiB: 16, paging, output: { writeByte: () => undefined } });
        expect(m.load(image(0x80), { file: 'pge-remap.img', format: 'flat' }).ok).toBe(true);
        const j = m.cpu.decoded.jit;
        j.enabled = jit;
        j.threshold = 1;
        const res = m.run(100_000);
        expect(res.stop.kind).toBe('halted');
        expect(m.cpu.readGpr(0)).toBe(2n); // F2's `mov eax, 2`
        expect(m.cpu.ip).toBe(0x300000 + 0x1c); // after the hlt (28 bytes into the blob)
        if (jit) expect(j.exitSiteCalls).toBeGreaterThan(0);
      });
    }
  }
});
