/**
 * The layout rules of the source tree, checked on its import graph: no run-time import circles,
 * the machine reaches the CPU only through cpu/index.ts, and no hand-written file longer than
 * can be read at once.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const src = join(root, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const files = sources(src);
const graph = new Map<string, string[]>();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const deps: string[] = [];
  // Type-only imports are erased: they tie no module to another at run time.
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s)?[^'"]*?from\s+'(\.[^']+)'/gm)) {
    if (m[2] === undefined) deps.push(resolve(dirname(file), m[3]!));
  }
  graph.set(file, deps);
}
const rel = (f: string) => relative(root, f);

/** The import circles: strongly connected components of more than one file (Tarjan). */
function circles(): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(rel(w));
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  return out;
}

describe('source layout', () => {
  it('reads the import graph', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get(join(src, 'runtime/machine/machine.ts'))?.length).toBeGreaterThan(0);
  });

  it('has no import circles', () => {
    expect(circles()).toEqual([]);
  });

  it('machine/ reaches the CPU only through its public interface (cpu/index.ts)', () => {
    const machine = join(src, 'runtime/machine');
    const cpu = join(src, 'runtime/cpu');
    const inward = files
      .filter((f) => f.startsWith(machine))
      .flatMap((f) => {
        const text = readFileSync(f, 'utf8');
        return [...text.matchAll(/from\s+'(\.[^']+)'/g)]
          .map((m) => resolve(dirname(f), m[1]!))
          .filter((t) => t.startsWith(cpu + '/') && t !== join(cpu, 'index.ts'))
          .map((t) => `${rel(f)} -> ${rel(t)}`);
      });
    expect(inward).toEqual([]);
  });

  it('keeps hand-written files under 700 lines', () => {
    const long = files
      .filter((f) => !f.includes('/generated/'))
      .map((f) => [rel(f), readFileSync(f, 'utf8').split('\n').length] as const)
      .filter(([, n]) => n > 700);
    expect(long).toEqual([]);
  });
});
