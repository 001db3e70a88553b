/**
 * Handler selection at decode time. Precedence: system handlers by Code, core handlers by Code,
 * SIMD handlers by Code, system handlers by Mnemonic, core handlers by Mnemonic, x87 handlers
 * (fpu/) by Mnemonic, SIMD handlers by Mnemonic; anything else raises #UD (counted by mnemonic in
 * cpu.stats.udByMnemonic). SIMD forms whose mnemonic a core handler also names (MOVSD, CMPSD) are
 * registered by Code (simd/index.ts).
 */
import { Mnemonic } from 'iced-x86';
import type { Handler, HandlerTable } from './decoded.ts';
import { systemHandlers } from './system/index.ts';
import { coreHandlers } from './core/index.ts';
import { simdHandlers } from './simd/index.ts';
import { specialize } from './core/fast.ts';
import { fpuHandlers } from './fpu/index.ts';
import type { DecodedInsn } from './decoded.ts';

const udCache = new Map<number, Handler>();

function udHandler(mnemonic: number): Handler {
  let h = udCache.get(mnemonic);
  if (h === undefined) {
    const name = (Mnemonic as unknown as Record<number, string>)[mnemonic] ?? `#${mnemonic}`;
    h = (cpu) => cpu.unsupported(name);
    udCache.set(mnemonic, h);
  }
  return h;
}

export function handlerFor(code: number, mnemonic: number): Handler {
  const sys: HandlerTable = systemHandlers;
  const core: HandlerTable = coreHandlers;
  const simd: HandlerTable = simdHandlers;
  return (
    sys.byCode.get(code) ??
    core.byCode.get(code) ??
    simd.byCode.get(code) ??
    sys.byMnemonic.get(mnemonic) ??
    core.byMnemonic.get(mnemonic) ??
    fpuHandlers.byMnemonic.get(mnemonic) ??
    simd.byMnemonic.get(mnemonic) ??
    udHandler(mnemonic)
  );
}

/**
 * After conversion: replace a generic core handler by a specialized one for frequent forms
 * (core/fast.ts). Never replaces a system handler.
 */
export function refineHandler(d: DecodedInsn): void {
  if (d.handler !== coreHandlers.byMnemonic.get(d.mnemonic)) return;
  const fast = specialize(d);
  if (fast !== null) d.handler = fast;
}
