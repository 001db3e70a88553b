/**
 * MSRs a device on the CPU keeps (Cpu.msrDevice). readMsr: the value, or null when not the
 * device's. writeMsr: MSR_NOT_MINE, MSR_DONE, or MSR_GP (the value is reserved: #GP(0)).
 */
export interface MsrDevice {
  readMsr(msr: number): bigint | null;
  writeMsr(msr: number, value: bigint): number;
}
export const MSR_NOT_MINE = 0;
export const MSR_DONE = 1;
export const MSR_GP = -1;
