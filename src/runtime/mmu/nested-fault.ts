/**
 * Thrown by the hardware MMU under nested paging when a guest-physical address (a guest
 * page-table entry or the final guest-physical address) has no valid nested-table mapping.
 * The CPU loop catches it and exits to the monitor with a NestedPageFaultExit; the guest never
 * sees it.
 */
export class NestedPageFault {
  constructor(
    readonly guestPhysical: number,
    /** #PF-style error code of the nested walk (P, W, U, RSVD, ID bits). */
    readonly errorCode: number,
  ) {}
}
