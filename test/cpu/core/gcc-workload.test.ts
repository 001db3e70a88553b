/**
 * gcc -O2 output (gcc/work.c, built by gcc/build.sh for i386, x86-64 and -m16 at -O2, -Os and -O0) runs in the
 * interpreter in 32-bit protected mode, in 64-bit mode and in real mode (32-bit code with
 * operand/address-size prefixes) and returns what the host CPU computed (gcc/expected.txt).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { machine, type Bits } from "./harness.ts";

/** Load address and stack top per build (the real-mode image lives in the first 64 KiB). */
const LOAD: Record<Bits, number> = { 16: 0x1000, 32: 0x10000, 64: 0x10000 };
const STACK: Record<Bits, number> = { 16: 0xf000, 32: 0x80000, 64: 0x80000 };

const expected = readFileSync(
  new URL("./gcc/expected.txt", import.meta.url),
  "utf8",
)
  .trim()
  .split("\n")
  .map((l) => l.split(" ").map(Number) as [number, number]);

function runWork(
  bits: Bits,
  opt: string,
  seed: number,
): { stop: string; eax: number; instructions: number; ud: number } {
  const m = machine(bits);
  const image = readFileSync(
    new URL(
      `./gcc/work${bits}${opt === "O2" ? "" : `-${opt}`}.img`,
      import.meta.url,
    ),
  );
  m.mem.loadBytes(LOAD[bits], new Uint8Array(image));
  m.cpu.decoded.clear();
  m.cpu.ip = LOAD[bits];
  m.cpu.setReg(4, 4, STACK[bits]);
  if (bits === 64)
    m.cpu.setReg(7, 4, seed); // edi: first argument
  else m.cpu.setReg(0, 4, seed); // eax: pushed by the entry stub
  const stop = m.cpu.run(20_000_000);
  return {
    stop: stop?.kind ?? "none",
    eax: m.cpu.lo[0]!,
    instructions: m.cpu.stats.instructions,
    ud: [...m.cpu.stats.udByMnemonic.values()].reduce((a, b) => a + b, 0),
  };
}

describe("gcc -O2 workload", () => {
  it("has reference results", () => {
    expect(expected.length).toBe(8);
  });
  for (const bits of [16, 32, 64] as const) {
    for (const opt of ["O2", "Os", "O0"]) {
      it(`${bits}-bit -${opt} build returns the host CPU's results for every seed`, () => {
        for (const [seed, want] of expected) {
          const r = runWork(bits, opt, seed);
          expect({ seed, stop: r.stop, ud: r.ud, eax: r.eax }).toEqual({
            seed,
            stop: "halted",
            ud: 0,
            eax: want,
          });
          expect(r.instructions).toBeGreaterThan(5_000);
        }
      });
    }
  }
});
