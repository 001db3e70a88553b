import { it } from 'vitest';
import { machine, CODE, hexBytes } from './harness.ts';
it('bench', () => {
  for (const bits of [32, 64] as const) {
    const m = machine(bits, 4);
    // mov ecx,N ; L: add eax,ecx ; mov [0x2000],eax ; xor edx,eax ; dec ecx ; jnz L
    const code = hexBytes('b9 00e1f505 01 c8 89 05 00200000 31 c2 ff c9 75 f2'.replace('ff c9', bits === 64 ? 'ff c9' : 'ff c9'));
    m.mem.loadBytes(CODE, code);
    m.cpu.ip = CODE;
    const t0 = performance.now();
    const n = 20_000_000;
    m.cpu.run(n);
    const dt = (performance.now() - t0) / 1000;
    console.log(`${bits}-bit: ${(n / dt / 1e6).toFixed(1)} MIPS`);
  }
});
