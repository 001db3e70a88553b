import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGen } from '../../codegen/generate.ts';
import { runCommand } from '../../src/cli/commands/run.ts';
import { cpuExitProbe } from '../../src/runtime/debug/exit-trace/cpu-probe.ts';
import { ExitTracer } from '../../src/runtime/debug/exit-trace/exit-tracer.ts';
import { parseExitFilter, type ExitFilter } from '../../src/runtime/debug/exit-trace/filter.ts';
import { Machine } from '../../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../../src/runtime/machine/output.ts';
import { createPagingStrategy } from '../../src/runtime/vmm/paging/index.ts';
import { TrapMonitor, type HandlerTables } from '../../src/runtime/vmm/trap-monitor.ts';

/**
 * --trace-exits: the crtrace guest's exits, line by line with the spec lines that decided them
 * (guests/crtrace/expected-trace.txt), the filter, and rule locations that follow an edit of
 * the spec (a copy of spec/ with a line inserted, regenerated into a temporary tree).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CRTRACE = 'guests/crtrace/crtrace.img';
const EXPECTED = readFileSync('guests/crtrace/expected-trace.txt', 'utf8');

async function traceOf(filter: string): Promise<{ status: number; stderr: string; stdout: string }> {
  const parsed = parseExitFilter(filter);
  if (!parsed.ok) throw new Error(parsed.error);
  let stderr = '';
  let stdout = '';
  const status = await runCommand(CRTRACE, { mem: 128, paging: 'shadow', maxInsns: 1_000_000, traceExits: parsed.filter }, {
    stdout: (c) => (stdout += Buffer.from(c).toString('latin1')),
    stderr: (t) => (stderr += t),
  });
  return { status, stderr, stdout };
}

/** The trace of crtrace under a machine whose trap monitor uses `handlers`. */
function traceWith(handlers: HandlerTables, filter: ExitFilter): string[] {
  const lines: string[] = [];
  const m = new Machine({
    memMiB: 128,
    paging: 'shadow',
    output: new CapturedOutput(),
    monitorFactory: (ctx) =>
      new ExitTracer(new TrapMonitor({ io: ctx.io, paging: createPagingStrategy(ctx.paging, { memory: ctx.memory }), handlers }), {
        sink: (l) => lines.push(l),
        probe: cpuExitProbe,
        filter,
      }),
  });
  m.cpu.decoded.jit.enabled = false;
  const loaded = m.load(readFileSync(CRTRACE), { file: CRTRACE });
  if (!loaded.ok) throw new Error('crtrace does not load');
  const r = m.run(1_000_000);
  expect(r.stop).toEqual({ kind: 'debug-exit', status: 1 });
  return lines;
}

describe('--trace-exits', () => {
  it('traces the crtrace guest line by line, each exit with the rule line that decided it', async () => {
    const r = await traceOf('rules,pf');
    expect(r.status).toBe(1);
    const got = r.stderr.split('\n').filter((l) => !l.startsWith('crtrace'));
    expect(got).toEqual(EXPECTED.split('\n').filter((l) => !l.startsWith('crtrace')));
    // Spot checks that the expected file says what the manual says.
    expect(EXPECTED).toMatch(/mov cr0,eax +write CR0 src=20000011 +guest 00000011 → 00000011 +hw 80010011 +#GP\(0\) +spec\/rules\/cr0\.rules:11 +fault #GP\(0\) when new\.NW and not new\.CD/);
    expect(EXPECTED).toMatch(/wrmsr +WRMSR EFER src=0000000000000002 .* #GP\(0\) +spec\/rules\/efer\.rules:\d+ +fault #GP\(0\) when new\.reserved != 0/);
    expect(EXPECTED).toMatch(/mov eax,\[800000h\] +exception #PF\(0\) at 00800000 +injected #PF\(0\) +paging: .*shadow\.pfInjected\+1/);
    expect(EXPECTED).toMatch(/write CR0 src=80000011 +guest 00000011 → 80000011 .* applied +spec\/rules\/cr0\.rules:15 .* effects :19 flush_tlb\(all\), :20 paging_mode_changed/);
    expect(r.stdout).toContain('crtrace: fault 0000000D\n');
  });

  it('the filter selects registers and outcomes', async () => {
    const cr0Faults = (await traceOf('cr0,fault')).stderr.split('\n').filter((l) => l.includes('→') || l.includes('#'));
    expect(cr0Faults).toHaveLength(1);
    expect(cr0Faults[0]).toContain('cr0.rules:11');
    const efer = (await traceOf('efer')).stderr.split('\n').filter((l) => /EFER/.test(l));
    expect(efer).toHaveLength(1);
    expect(efer[0]).toContain('WRMSR EFER');
    const faults = (await traceOf('fault')).stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('crtrace'));
    expect(faults.map((l) => /(#GP\(0\)|injected #PF\(0\))/.exec(l)?.[1])).toEqual(['#GP(0)', '#GP(0)', '#GP(0)', 'injected #PF(0)']);
    expect(parseExitFilter('cr0, CR4 ,fault').ok).toBe(true);
    const bad = parseExitFilter('cr0,cr9');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^unknown filter 'cr9' \(expected a comma-separated list of: cr0, cr3/);
  });

  it('a bad filter on the command line is one error line and status 2', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', CRTRACE, '--trace-exits=cr9'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/--trace-exits.*unknown filter 'cr9'/);
  }, 40_000);

  it('rule locations follow an edit of the spec: a line inserted above the CR0 rules moves them down one', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'trapspec-trace-'));
    try {
      cpSync(join(ROOT, 'spec'), join(tmp, 'spec'), { recursive: true });
      const rules = join(tmp, 'spec/rules/cr0.rules');
      writeFileSync(rules, `# a line inserted by the test\n${readFileSync(rules, 'utf8')}`);
      const report = await runGen(tmp, { check: false });
      expect(report.ok, report.text).toBe(true);
      // The generated handlers import the runtime next to them: the project's.
      symlinkSync(join(ROOT, 'src/runtime'), join(tmp, 'src/runtime'), 'dir');
      const edited = (await import(join(tmp, 'src/generated/handlers/index.ts'))) as HandlerTables;
      const generated = (await import('../../src/generated/handlers/index.ts')) as HandlerTables;
      const filter = (parseExitFilter('rules') as { filter: ExitFilter }).filter;
      const before = traceWith(generated, filter);
      const after = traceWith(edited, filter);
      expect(before.length).toBeGreaterThan(10);
      // Every CR0 line number moves: the deciding line and the effects' and actions' `:N`.
      const moved = (l: string): string => (l.includes('cr0.rules') ? l.replace(/(cr0\.rules:| :)(\d+)/g, (_, f: string, n: string) => `${f}${Number(n) + 1}`) : l);
      expect(after).toEqual(before.map(moved));
      expect(after.find((l) => l.includes('#GP(0)') && l.includes('cr0.rules'))).toContain('spec/rules/cr0.rules:12  fault #GP(0) when new.NW and not new.CD');
      // Lines of the other files stay where they were.
      expect(after.filter((l) => l.includes('cr4.rules'))).toEqual(before.filter((l) => l.includes('cr4.rules')));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
