import fc from 'fast-check';
import {
  BODY,
  DATA_PAGES,
  dataBase,
  GUEST_MODES,
  IDT,
  SCRATCH,
  TABLES,
  type FuzzGuest,
  type GateSpec,
  type GuestMode,
  type TableName,
} from './guest-image.ts';
import type { AluKind, Op, SegName } from './ops.ts';

/**
 * fast-check arbitraries for fuzz guests.
 * - hostileGuest: random instruction bytes, or plausible hostile sequences (control-register
 *   writes with random values, EFER/MSR writes, page-table pokes, GDT/IDT loads, far jumps to
 *   random selectors, segment loads, INVLPG, INT n, port I/O, IRET to CPL 3) plus random IDT/GDT/page-table
 *   contents.
 * - tameGuest: the differential subset: register/memory ALU work in the data window over random
 *   page-table flags, control-register bit toggles, CR3 reloads, CPUID, a drop to CPL 3; a working IDT so every
 *   exception prints its vector and exits. No page-table writes (so no TLB-staleness freedom,
 *   R108), so shadow, nested and direct must agree exactly.
 */

const REGS = [0, 1, 2, 3, 6, 7] as const;
const ALU: readonly AluKind[] = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const SEGS: readonly SegName[] = ['es', 'ss', 'ds', 'fs', 'gs'];
const TABLE_NAMES: readonly TableName[] = ['pdpt', 'pd', 'pml4', 'pt', 'pd32', 'pt32', 'pdpt64'];
const MSRS = [0xc0000080, 0xc0000081, 0xc0000082, 0xc0000100, 0xc0000101, 0x1b, 0x10, 0x174, 0x277, 0xc0000084];

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const reg = fc.constantFrom(...REGS);
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
/** A 64-bit value biased to interesting control-register shapes: few bits, or anything. */
const crValue = fc.oneof(
  u64,
  fc.array(fc.integer({ min: 0, max: 63 }), { maxLength: 4 }).map((bits) => bits.reduce((v, b) => v | (1n << BigInt(b)), 0n)),
  fc.constantFrom(0x80000011n, 0x80000001n, 0x60000010n, 0x11n, 0x10n, 0x20n, 0xb0n, 0x500n, 0x100n, 0x30n),
);
const selector = fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 15 }).map((i) => i * 8 + (i & 3)));
/** Addresses: the data window, the fixed tables, low memory, or anywhere. */
function address(mode: GuestMode): fc.Arbitrary<number> {
  return fc.oneof(
    fc.integer({ min: 0, max: DATA_PAGES * 4096 - 4 }).map((o) => dataBase(mode) + o),
    fc.constantFrom(...Object.values(TABLES), IDT, BODY, 0, 0x7c00),
    u32,
  );
}

export function hostileOp(mode: GuestMode): fc.Arbitrary<Op> {
  const addr = address(mode);
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ k: fc.constant('movcr' as const), cr: fc.constantFrom(0, 2, 3, 4, 8 as const), value: crValue }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('togglecr' as const), cr: fc.constantFrom(0, 3, 4 as const), mask: u32 }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('readcr' as const), cr: fc.constantFrom(0, 2, 3, 4, 8 as const) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('wrmsr' as const), msr: fc.oneof(fc.constantFrom(...MSRS), u32), value: crValue }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('rdmsr' as const), msr: fc.oneof(fc.constantFrom(...MSRS), u32) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('lmsw' as const), value: fc.integer({ min: 0, max: 0xffff }) }) },
    { weight: 1, arbitrary: fc.constant({ k: 'clts' as const }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('smsw' as const), addr }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('farjmp' as const), sel: selector, off: fc.oneof(u32, fc.constant(BODY)) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('loadseg' as const), seg: fc.constantFrom(...SEGS), sel: selector }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('store' as const), reg, addr }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('load' as const), reg, addr }) },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('poke64' as const),
        addr: fc.tuple(fc.constantFrom(...Object.values(TABLES)), fc.integer({ min: 0, max: 511 })).map(([t, i]) => t + i * 8),
        value: crValue,
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('invlpg' as const), addr }) },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('ldt' as const),
        which: fc.constantFrom('gdt' as const, 'idt' as const),
        base: fc.oneof(u32, fc.constantFrom(IDT, 0)),
        limit: fc.integer({ min: 0, max: 0xffff }),
        scratch: fc.constant(mode === 'real' ? 0xb000 : SCRATCH),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('int' as const), n: fc.integer({ min: 0, max: 255 }) }) },
    { weight: 1, arbitrary: fc.constant({ k: 'ud2' as const }) },
    { weight: 1, arbitrary: fc.constant({ k: 'hlt' as const }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('cpuid' as const), leaf: fc.oneof(fc.integer({ min: 0, max: 0x20 }), u32), sub: fc.integer({ min: 0, max: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('out' as const), port: fc.oneof(fc.constantFrom(0xe9, 0x3f8, 0xf4, 0x3fd), fc.integer({ min: 0, max: 0xffff })), value: u32 }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('in' as const), port: fc.oneof(fc.constantFrom(0x3fd, 0xe9), fc.integer({ min: 0, max: 0xffff })) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('bytes' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }) },
    { weight: 1, arbitrary: fc.constant({ k: 'touser' as const }) },
    { weight: 2, arbitrary: tameOp(mode) },
  );
}

export function tameOp(mode: GuestMode): fc.Arbitrary<Op> {
  const data = fc.integer({ min: 0, max: DATA_PAGES * 4096 - 4 }).map((o) => dataBase(mode) + o);
  const alu = fc.constantFrom(...ALU);
  const wide = mode === 'long' ? fc.boolean() : fc.constant(false);
  const ops: fc.WeightedArbitrary<Op>[] = [
    { weight: 3, arbitrary: fc.record({ k: fc.constant('movi' as const), reg, value: u32 }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('alui' as const), alu, reg, value: u32, wide }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('alur' as const), alu, dst: reg, src: reg, wide }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('shift' as const), right: fc.boolean(), reg, count: fc.integer({ min: 0, max: 31 }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('imul' as const), dst: reg, src: reg }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('pushpop' as const), a: reg, b: reg }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('store' as const), reg, addr: data }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('load' as const), reg, addr: data }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('rmw' as const), alu, reg, addr: data }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('cpuid' as const), leaf: fc.integer({ min: 0, max: 0xd }), sub: fc.integer({ min: 0, max: 1 }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('out' as const), port: fc.constant(0xe9), value: u32 }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('readcr' as const), cr: fc.constantFrom(0, 2, 3, 4 as const) }) },
    // CR0: WP TS MP EM NE AM (and CD/NW: #GP when NW without CD); CR4: PGE PSE TSD DE OSFXSR.
    // Clearing CR4.PSE under 32-bit paging unmaps code, stack and IDT: #PF during #PF
    // delivery, #DF, triple fault (test/fuzz/regressions.test.ts). Not SMEP: the code pages are
    // user pages, so SMEP makes every handler fetch fault and the #PF loop runs the stack down
    // over the guest's own page tables — live table edits, where the modes may differ (R108).
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('togglecr' as const),
        cr: fc.constant(0 as const),
        mask: fc.subarray([1 << 16, 1 << 3, 1 << 1, 1 << 2, 1 << 5, 1 << 18, 1 << 30, 1 << 29]).map((b) => b.reduce((a, x) => a | x, 0)),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('togglecr' as const),
        cr: fc.constant(4 as const),
        mask: fc.subarray([1 << 7, 1 << 4, 1 << 2, 1 << 3, 1 << 9]).map((b) => b.reduce((a, x) => a | x, 0)),
      }),
    },
    { weight: 1, arbitrary: fc.constant<Op>({ k: 'togglecr', cr: 3, mask: 0 }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('invlpg' as const), addr: data }) },
    // CPL 3 from here on: user/supervisor rights of the data pages, #GP for privileged ops.
    { weight: 1, arbitrary: fc.constant<Op>({ k: 'touser' }) },
  ];
  return fc.oneof(...ops);
}

const gate: fc.Arbitrary<GateSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<GateSpec>({ kind: 'stub' }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), lo: u64, hi: u64 }) },
);

const dataPage = (tame: boolean): fc.Arbitrary<FuzzGuest['dataPages'][number]> =>
  fc.record({
    // P W U PWT PCD A D PS? (PS is reserved/ignored at PT level: leave it out for tame guests)
    flags: tame
      ? fc.subarray([1, 2, 4, 8, 16, 32, 64, 256]).map((b) => b.reduce((a, x) => a | x, 1))
      : fc.integer({ min: 0, max: 0xfff }),
    nx: fc.boolean(),
    frame: fc.integer({ min: 0, max: 0x1ff }),
  });

const tableNoise = fc.array(
  fc.record({ table: fc.constantFrom(...TABLE_NAMES), index: fc.integer({ min: 0, max: 511 }), value: u64 }),
  { maxLength: 6 },
);

export function hostileGuest(modes: readonly GuestMode[] = GUEST_MODES): fc.Arbitrary<FuzzGuest> {
  return fc.constantFrom(...modes).chain((mode) =>
    fc.record({
      mode: fc.constant(mode),
      body: fc.oneof(
        fc.record({ ops: fc.array(hostileOp(mode), { minLength: 1, maxLength: 24 }) }),
        fc.record({ bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 96 }) }),
      ),
      idt: fc.array(gate, { minLength: 32, maxLength: 32 }),
      gdt: fc.array(u64, { maxLength: 7 }),
      tableNoise: mode === 'real' ? fc.constant([]) : tableNoise,
      dataPages: fc.array(dataPage(false), { minLength: DATA_PAGES, maxLength: DATA_PAGES }),
    }),
  );
}

export function tameGuest(modes: readonly GuestMode[] = GUEST_MODES): fc.Arbitrary<FuzzGuest> {
  return fc.constantFrom(...modes).chain((mode) =>
    fc.record({
      mode: fc.constant(mode),
      body: fc.record({ ops: fc.array(tameOp(mode), { minLength: 1, maxLength: 40 }) }),
      idt: fc.constant(Array.from({ length: 32 }, (): GateSpec => ({ kind: 'stub' }))),
      gdt: fc.constant([]),
      tableNoise: fc.constant([]),
      dataPages: fc.array(dataPage(true), { minLength: DATA_PAGES, maxLength: DATA_PAGES }),
    }),
  );
}
