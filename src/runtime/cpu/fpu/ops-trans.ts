import type { HandlerTable } from '../decoded.ts';
export function registerTranscendental(_t: HandlerTable): void {}
