import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { emitHandlers } from '../../codegen/emit/handlers.ts';
import { loadSpec } from '../../codegen/load.ts';
import { checkRuleSources } from '../../codegen/rules/load.ts';

/**
 * A rule's flush_tlb and a later paging_mode_changed are emitted as one RuleEffects call
 * (effects as a set, codegen/emit/handlers.ts flushModePair); any other arrangement keeps one
 * call per effect, in the rule's order.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

async function cr0Handler(effects: string): Promise<string> {
  const s = loadSpec(root);
  if ('errors' in s) throw new Error('register spec does not load');
  const text = `on write CR0 (new) {\n  guest CR0 = new\n${effects}}\n`;
  const r = checkRuleSources(new Map([['spec/rules/t.rules', text]]), s.spec);
  if ('errors' in r) throw new Error(JSON.stringify(r.errors));
  const files = await emitHandlers(r.rules, s.spec);
  const code = files.find((f) => f.path.endsWith('/t.ts'))?.contents;
  if (code === undefined) throw new Error(`no handler file among ${files.map((f) => f.path).join(', ')}`);
  return code.split('\n').filter((l) => !/^\s*\/\//.test(l)).join('\n');
}

describe('effects as a set in the emitted handlers', () => {
  it('a flush_tlb before a paging_mode_changed becomes the mode change\'s flush argument', async () => {
    const code = await cr0Handler('  when changed(PE, PG): effect flush_tlb(all)\n  when changed(PG): effect paging_mode_changed\n');
    expect(code).toContain(
      [
        '  const flush = ((cr0_lo ^ op_lo) & 0x80000001) !== 0 ? FLUSH_ALL : null;',
        '  if (flush !== null) taken |= 0x1;',
        '  if (((cr0_lo ^ op_lo) & 0x80000000) !== 0) {',
        '    taken |= 0x2;',
        '    cx.pagingModeChanged(flush);',
        '  } else if (flush !== null) cx.flushTlb(flush);',
      ].join('\n'),
    );
    expect(code).not.toContain('pagingModeChanged(null)');
  });

  it('a lone paging_mode_changed passes no flush', async () => {
    const code = await cr0Handler('  when changed(PG): effect paging_mode_changed\n');
    expect(code).toContain('cx.pagingModeChanged(null);');
    expect(code).not.toContain('flushTlb');
  });

  it('a flush_tlb after the mode change stays a call of its own, in the rule\'s order', async () => {
    const code = await cr0Handler('  when changed(PG): effect paging_mode_changed\n  when changed(PE): effect flush_tlb(all)\n');
    const mode = code.indexOf('cx.pagingModeChanged(null);');
    const flush = code.indexOf('cx.flushTlb(FLUSH_ALL);');
    expect(mode).toBeGreaterThan(0);
    expect(flush).toBeGreaterThan(mode);
  });

  it('two flushes with one mode change: one call per effect', async () => {
    const code = await cr0Handler('  when changed(PE): effect flush_tlb(all)\n  when changed(WP): effect flush_tlb(non_global)\n  when changed(PG): effect paging_mode_changed\n');
    expect(code.match(/cx\.flushTlb\(/g)).toHaveLength(2);
    expect(code).toContain('cx.pagingModeChanged(null);');
  });
});
