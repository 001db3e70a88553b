import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/runtime/machine/machine.ts';
import { createTrapMonitor } from '../../src/runtime/vmm/create-monitor.ts';
import type { TrapMonitor } from '../../src/runtime/vmm/trap-monitor.ts';

/**
 * The bundled default guest (real → protected → 32-bit paging → PAE → long mode, printing its
 * control registers at each step) under the trap monitor and the generated handlers, with each
 * paging strategy: its output must be the one recorded under QEMU.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const image = new Uint8Array(readFileSync(`${root}guests/default/default.img`));
const expected = readFileSync(`${root}guests/default/expected-output.txt`, 'utf8');

describe('default guest under the trap monitor', () => {
  for (const paging of ['shadow', 'nested', 'direct'] as const) {
    it(`${paging} paging: same output as QEMU, every CR access through the generated handlers`, () => {
      let out = '';
      let monitor: TrapMonitor | undefined;
      const m = new Machine({
        memMiB: 128,
        paging,
        output: { writeByte: (b) => void (out += String.fromCharCode(b)) },
        monitorFactory: (ctx) => (monitor = createTrapMonitor(ctx)),
      });
      const loaded = m.load(image, { file: 'default.img' });
      expect(loaded.ok).toBe(true);
      const r = m.run(5_000_000);
      expect(r.stop).toEqual({ kind: 'debug-exit', status: 1 });
      expect(out.slice(out.indexOf('trapspec default guest'))).toBe(expected.slice(expected.indexOf('trapspec default guest')));
      const exits = monitor!.exitCounts;
      expect(exits.get('cr-access')).toBeGreaterThan(30);
      expect(exits.get('wrmsr')).toBe(1);
      // The guest ends in 64-bit mode: the monitor's guest view says so.
      expect(monitor!.guest.efer & 0x500n).toBe(0x500n);
      expect(monitor!.guest.cr0 & 0x8000_0001n).toBe(0x8000_0001n);
    });
  }
});
