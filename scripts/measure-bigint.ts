/**
 * Measures what a generated register accessor costs as `number` vs `bigint`, to choose the
 * representation per register width (README.md quotes the figures).
 * Run: npx tsx scripts/measure-bigint.ts
 * Each case does a read-modify-write the way generated code does (test a bit, set a field,
 * check reserved bits), over a varying value so nothing folds to a constant.
 */

const N = 5_000_000;

function time(label: string, fn: () => number): { label: string; ns: number } {
  fn(); // warm up (JIT)
  const t0 = process.hrtime.bigint();
  const sink = fn();
  const ns = Number(process.hrtime.bigint() - t0) / N;
  if (sink === 0.5) console.log(''); // keep the result alive
  return { label, ns };
}

const results = [
  time('number (32-bit register)', () => {
    let v = 0x6000_0010;
    let acc = 0;
    for (let i = 0; i < N; i++) {
      v = (v ^ i) >>> 0;
      if ((v & 0x8000_0000) !== 0) acc++; // get PG
      v = ((v & ~0x1e) | ((i & 0xf) << 1)) >>> 0; // set a 4-bit field
      if ((v & 0x1ffa_ffc0) !== 0) acc++; // reserved check
    }
    return acc + v;
  }),
  time('bigint (64-bit register)', () => {
    let v = 0x6000_0010n;
    let acc = 0;
    for (let i = 0; i < N; i++) {
      v = BigInt.asUintN(64, v ^ BigInt(i));
      if ((v & 0x8000_0000n) !== 0n) acc++;
      v = (v & ~0x1en) | (BigInt(i & 0xf) << 1n);
      if ((v & 0xffff_ffff_1ffa_ffc0n) !== 0n) acc++;
    }
    return acc + Number(v & 0xffffn);
  }),
  time('two numbers hi/lo (64-bit register)', () => {
    let lo = 0x6000_0010;
    let hi = 0;
    let acc = 0;
    for (let i = 0; i < N; i++) {
      lo = (lo ^ i) >>> 0;
      hi = (hi ^ (i >>> 3)) >>> 0;
      if ((lo & 0x8000_0000) !== 0) acc++;
      lo = ((lo & ~0x1e) | ((i & 0xf) << 1)) >>> 0;
      if ((lo & 0x1ffa_ffc0) !== 0 || hi !== 0) acc++;
    }
    return acc + lo + hi;
  }),
  time('bigint RMW, operands already bigint', () => {
    const vals = [0x8000_0011n, 0x11n, 0xe005_003fn, 0xffff_0000_0000_0001n];
    let v = 0n;
    let acc = 0;
    for (let i = 0; i < N; i++) {
      v = vals[i & 3]!;
      if ((v & 0x8000_0000n) !== 0n) acc++;
      v = (v & ~0x1en) | 0x10n;
      if ((v & 0xffff_ffff_1ffa_ffc0n) !== 0n) acc++;
    }
    return acc + Number(v & 0xffffn);
  }),
  time('bigint field read only (test one bit)', () => {
    let acc = 0;
    const vals = [0x8000_0011n, 0x11n, 0xe005_003fn, 0n];
    for (let i = 0; i < N; i++) if ((vals[i & 3]! & 0x8000_0000n) !== 0n) acc++;
    return acc;
  }),
];

for (const r of results) console.log(`${r.label.padEnd(40)} ${r.ns.toFixed(1).padStart(6)} ns/op`);
