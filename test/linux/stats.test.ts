import { describe, expect, it } from 'vitest';
import { OutputMarker } from '../../src/runtime/machine/output-marker.ts';
import { CapturedOutput } from '../../src/runtime/machine/output.ts';
import { Cr3Roots } from '../../src/runtime/vmm/paging/cr3-roots.ts';

describe('OutputMarker', () => {
  const feed = (m: OutputMarker, text: string): void => {
    for (const b of Buffer.from(text, 'latin1')) m.writeByte(b);
  };

  it('passes every byte through and fires once, on the marker’s last byte, across overlapping prefixes', () => {
    const out = new CapturedOutput();
    const m = new OutputMarker(out);
    const at: number[] = [];
    let written = 0;
    m.watch('aab', () => at.push(written));
    for (const b of Buffer.from('xaaaab..aab', 'latin1')) {
      m.writeByte(b);
      written++;
    }
    expect(out.text()).toBe('xaaaab..aab');
    expect(at).toEqual([5]); // fired while writing byte 5 ("xaaaab"); the later "aab" does not fire again
  });

  it('finds the Linux init line in a boot log', () => {
    const m = new OutputMarker(new CapturedOutput());
    let hits = 0;
    m.watch(' as init process', () => hits++);
    feed(m, '[    0.9] Freeing unused kernel image\n[    1.0] Run /init as init');
    expect(hits).toBe(0);
    feed(m, ' process\n');
    expect(hits).toBe(1);
  });
});

describe('Cr3Roots', () => {
  it('counts loads of new roots and of roots seen before (PCID/flag bits ignored)', () => {
    const r = new Cr3Roots();
    r.loaded(0x1000, 0);
    r.loaded(0x2000, 0);
    r.loaded(0x1008, 0); // same root, PWT set
    r.loaded(0x1000, 1); // another root above 4 GiB
    r.loaded(0x2000, 0);
    const out: Record<string, number> = {};
    r.into(out);
    expect(out).toEqual({ 'cr3.newRoot': 3, 'cr3.knownRoot': 2 });
  });
});
