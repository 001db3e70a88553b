/**
 * trapspec's programmatic interface (package.json "exports": `trapspec`, `trapspec/registers`):
 * the Machine that runs a guest under the monitor, the generated register accessors and CPU
 * model, and the conformance-vector loader. Sources are TypeScript: import them from tsx, Vite,
 * vitest or Node with type stripping.
 */
import { fileURLToPath } from 'node:url';

export { Machine, type MachineOptions } from './runtime/machine/machine.ts';
export { BufferedOutput, CapturedOutput, type OutputSink } from './runtime/machine/output.ts';
export type { StopReason } from './runtime/vmm/monitor.ts';
export * as registers from './generated/registers/index.ts';
export { CPU_FEATURES, CPU_MODEL, HAS_FEATURE, cpuidLeaf } from './generated/cpu-model.ts';
export { loadVectorsFile, type LoadResult } from './conform/load-vectors.ts';
export type { ConformVector } from './conform/vector.ts';

/** The conformance vectors generated from the bundled spec (`trapspec vectors`). */
export const BUNDLED_VECTORS = fileURLToPath(new URL('./generated/vectors/vectors.json', import.meta.url));
/** The bundled default guest (real mode to long mode; what `npm start` runs). */
export const DEFAULT_GUEST = fileURLToPath(new URL('../guests/default/default.img', import.meta.url));
