import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// `trapspec conform` as a user runs it (bin/trapspec.js), on the vectors citing R7.
describe('trapspec conform (command line)', () => {
  it('prints the report as JSON and exits 0 when nothing unknown disagrees', () => {
    const r = spawnSync('node', ['bin/trapspec.js', 'conform', '--filter', 'R7', '--json'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as {
      runners: string[];
      agreement: { agreeing: number; total: number; line: string };
      vectors: { id: string; spec: string; runs: Record<string, { kind: string; text: string }> }[];
    };
    expect(report.runners).toEqual(['trapspec-shadow', 'trapspec-nested']);
    expect(report.agreement.total).toBe(report.vectors.length);
    expect(report.agreement.line).toMatch(/^\d+ of \d+ vectors agree/);
    const faulting = report.vectors.filter((v) => v.spec === '#GP(0)');
    expect(faulting.length).toBeGreaterThan(0);
    for (const v of faulting) expect(v.runs['trapspec-shadow']?.text, v.id).toMatch(/^#GP/);
  }, 60_000);

  it('rejects an unknown oracle and a filter that matches nothing', () => {
    const a = spawnSync('node', ['bin/trapspec.js', 'conform', '--oracle', 'bochs'], { encoding: 'utf8' });
    expect(a.status).toBe(2);
    expect(a.stderr).toContain("unknown oracle 'bochs'");
    const b = spawnSync('node', ['bin/trapspec.js', 'conform', '--filter', 'no-such-rule'], { encoding: 'utf8' });
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('no vector matches');
  }, 60_000);
});
