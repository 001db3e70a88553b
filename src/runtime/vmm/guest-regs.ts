import { ControlHalves, type ControlHalvesName } from './control-halves.ts';
import type { GuestState } from './effects.ts';

/**
 * The monitor's guest-visible control registers (GuestState): halves the generated handlers
 * test and assign, BigInts for strategies and reports (ControlHalves).
 */
export type GuestRegName = ControlHalvesName;

export class GuestRegs extends ControlHalves implements GuestState {}
