import { readFileSync } from 'node:fs';
import { CapturedOutput, DEFAULT_GUEST, Machine, registers } from 'trapspec';

/** Boots the bundled default guest under shadow paging; returns its serial output and how it stopped. */
export function runDefaultGuest() {
  const out = new CapturedOutput();
  const m = new Machine({ memMiB: 128, paging: 'shadow', output: out });
  const loaded = m.load(readFileSync(DEFAULT_GUEST), { file: 'default.img', cmdline: '' });
  if (!loaded.ok) throw new Error(`${loaded.error.location}: ${loaded.error.message}`);
  const { stop, instructions } = m.run(10_000_000);
  const cr0 = registers.Cr0.of({ PE: true, PG: true }); // the generated accessors
  return { text: out.text(), stop, instructions, cr0: cr0.decode() };
}
