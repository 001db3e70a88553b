import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('README.md', () => {
  it('quotes the MOV-to-CR0 rule exactly as spec/rules/cr0.rules has it', () => {
    const doc = readFileSync(`${root}README.md`, 'utf8');
    const spec = readFileSync(`${root}spec/rules/cr0.rules`, 'utf8');
    const quoted = /```\n(on write CR0 \(new\) \{[\s\S]*?\n\})\n```/.exec(doc)?.[1];
    expect(quoted).toBeDefined();
    expect(spec).toContain(quoted);
    expect(quoted!.split('\n').length).toBeLessThanOrEqual(20); // one screen
  });
});
