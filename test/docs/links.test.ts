/**
 * Every relative link in README.md and docs/ points at a file that exists and, with a `#anchor`,
 * at a heading of that file (GitHub's heading slugs: lower case, punctuation dropped, spaces to
 * hyphens, `-1`, `-2` … for repeats). Links inside code blocks and code spans are not links.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** The prose of a markdown file: fenced code blocks blanked, code spans removed. */
function prose(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (line.startsWith('```')) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '');
  });
}

export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = fenced ? null : /^#{1,6} (.*)$/.exec(line);
    if (m === null) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];

describe('documentation links', () => {
  it('finds the chapters', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('slugs headings as GitHub does', () => {
    expect(slug('Memory virtualization: `--paging shadow|nested|direct`')).toBe(
      'memory-virtualization---paging-shadownesteddirect',
    );
    expect([...anchorsOf('# A\n## A\n```\n# B\n```\n')]).toEqual(['a', 'a-1']);
  });

  for (const file of files) {
    it(`${relative(root, file)}: every relative link resolves`, () => {
      const text = readFileSync(file, 'utf8');
      const dead: string[] = [];
      prose(text).forEach((line, i) => {
        for (const m of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
          const target = m[1]!;
          if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
          const [path, anchor] = target.split('#') as [string, string | undefined];
          const targetFile = path === '' ? file : resolve(dirname(file), path);
          if (!existsSync(targetFile)) {
            dead.push(`${i + 1}: ${target} (no such file)`);
            continue;
          }
          if (anchor !== undefined && !anchorsOf(readFileSync(targetFile, 'utf8')).has(anchor)) {
            dead.push(`${i + 1}: ${target} (no such heading)`);
          }
        }
      });
      expect(dead).toEqual([]);
    });
  }
});
