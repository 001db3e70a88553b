/**
 * The CPU's public interface for the rest of the runtime (machine/, loaders): the interpreter
 * itself and the architectural state types a boot state is written into. Everything else in
 * cpu/ is its own business; test/layout/imports.test.ts keeps machine/ to this file.
 */
export { Cpu, type CpuOptions } from './cpu.ts';
export { Seg, type CpuState, type SegmentCache } from './state.ts';
