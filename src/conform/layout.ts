/**
 * Fixed addresses and selectors of a conformance guest. Everything the guest's exception
 * handlers touch lives in low memory (reachable from real mode with DS=0 and identity-mapped in
 * every paging mode), so one set of handlers per mode serves every vector.
 */

export const IMAGE_BASE = 0x100000;

/** Shared variables (one page). */
export const VARS = 0x6000;
export const V_PHASE = VARS + 0x00; // byte: 1 = setting up, 2 = running the vector's instruction
export const V_RES_VEC = VARS + 0x01; // byte: exception vector, 0xFF = none
export const V_RES_PHASE = VARS + 0x02; // byte: phase when the exception hit
export const V_RES_EC = VARS + 0x04; // dword: error code, 0xFFFFFFFF = none pushed
export const V_SAVED_SP = VARS + 0x08; // qword: stack pointer to restore in handlers
export const V_RESUME_FAR = VARS + 0x10; // m16:32 where handlers resume (protected/long)
export const V_RESUME16 = VARS + 0x18; // m16:16 where handlers resume (real mode)
export const V_FARTMP = VARS + 0x30; // m16:32 scratch for mode-switching far jumps
export const V_RES_RAX = VARS + 0x20; // qword
export const V_RES_RDX = VARS + 0x28; // qword
export const V_OBS = VARS + 0x40; // qwords: cr0, cr3, cr4, efer, xcr0, cr8
export const OBS_OFFSET = { cr0: 0, cr3: 8, cr4: 16, efer: 24, xcr0: 32, cr8: 40 } as const;
export const V_OBS_FLAGS = VARS + 0x70; // dword: bit 0 xcr0 read, bit 1 cr8 read
export const V_IVT_DESC = VARS + 0x80; // real-mode IDTR (limit 16, base 32)
export const V_HEXBUF = VARS + 0x90;
export const IVT = 0x6400; // 256 real-mode vectors
export const REAL_STACK_TOP = 0x7000;

/** 16-bit code for real-mode vectors runs here (CS = LOW_CODE >> 4 in real mode). */
export const LOW_CODE = 0x20000;
export const LOW_CODE_END = 0x30000;

export const KSTACK_TOP = 0x80000;
export const KSTACK_BOTTOM = 0x70000;

/** CPL3 stubs run here; this 2 MiB region is the only user-accessible one in the page tables. */
export const USER_REGION = 0x400000;
export const USER_REGION_END = 0x600000;
export const USER32 = 0x400000;
export const USER64 = 0x480000;
export const USER_STACK_TOP = 0x5ff000;

export const SEL = {
  code32: 0x08,
  data32: 0x10,
  code64: 0x18,
  code16: 0x20,
  data16: 0x28,
  ucode32: 0x33,
  udata32: 0x3b,
  ucode64: 0x43,
  tss32: 0x48,
  tss64: 0x50,
} as const;

/** Vector used by CPL3 stubs (and nothing else) to return to CPL 0 with their results. */
export const RETURN_VECTOR = 0x81;
export const IDT_ENTRIES = 0x82;

export const COM1 = 0x3f8;
export const DEBUG_EXIT = 0xf4;

export const MSR_EFER = 0xc0000080;

/** Physical ranges a vector's CR3 must not point into (the guest's own memory). */
export function reservedRanges(imageEnd: number): [number, number][] {
  return [
    [VARS, REAL_STACK_TOP + 0x1000],
    [LOW_CODE, LOW_CODE_END],
    [KSTACK_BOTTOM, KSTACK_TOP],
    [0x9000, 0xa000], // QEMU's multiboot information
    [IMAGE_BASE, imageEnd],
    [USER_REGION, USER_REGION_END],
  ];
}

/** RAM every runner gives the guest (guest contract default). */
export const GUEST_MEM_MIB = 128;
