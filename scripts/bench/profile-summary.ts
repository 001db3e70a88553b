import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** The parts of a V8 .cpuprofile (node --cpu-prof) the summary reads. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotFunction {
  /** "functionName file:line" with the file relative to the project. */
  name: string;
  /** Share of all samples spent in the function itself. */
  selfShare: number;
  selfMs: number;
}

export interface ProfileSummary {
  totalMs: number;
  hot: HotFunction[];
  /** Self time by file, largest first. */
  byFile: { file: string; selfShare: number }[];
}

/**
 * Self time per function (by name and location), from a .cpuprofile file; with `windowUs`
 * (monotonic microseconds, the profile's own clock) only the samples taken inside it count.
 */
export function summarizeProfile(
  path: string,
  root: string,
  windowUs?: readonly [number, number],
  top = 15,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const [from, to] = windowUs ?? [profile.startTime, profile.endTime];
  const hits = new Map<number, number>();
  if (profile.samples !== undefined && profile.timeDeltas !== undefined) {
    // Weight each sample by the time until the next one (V8 sampling is not perfectly regular).
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i]!;
      if (t < from || t > to) continue;
      const id = profile.samples[i]!;
      const dt = profile.timeDeltas[i + 1] ?? 0;
      hits.set(id, (hits.get(id) ?? 0) + Math.max(0, dt));
    }
  } else {
    for (const n of profile.nodes) hits.set(n.id, n.hitCount ?? 0);
  }
  const totalMs = (to - from) / 1000;
  let total = 0;
  for (const v of hits.values()) total += v;
  const byName = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const n of profile.nodes) {
    const h = hits.get(n.id) ?? 0;
    if (h === 0) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url === '' ? '(native)' : relative(root, url.replace(/^file:\/\//, ''));
    const key = `${functionName === '' ? '(anonymous)' : functionName} ${file}${url === '' ? '' : `:${lineNumber + 1}`}`;
    byName.set(key, (byName.get(key) ?? 0) + h);
    byFile.set(file, (byFile.get(file) ?? 0) + h);
  }
  const share = (v: number): number => (total > 0 ? v / total : 0);
  const hot = [...byName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, v]) => ({ name, selfShare: share(v), selfMs: share(v) * totalMs }));
  const files = [...byFile.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([file, v]) => ({ file, selfShare: share(v) }));
  return { totalMs, hot, byFile: files };
}

export function formatProfile(title: string, s: ProfileSummary): string {
  const lines = [`${title} (${(s.totalMs / 1000).toFixed(2)} s profiled)`];
  for (const h of s.hot) lines.push(`  ${(h.selfShare * 100).toFixed(1).padStart(5)}%  ${h.name}`);
  lines.push('  by file:');
  for (const f of s.byFile.slice(0, 8)) lines.push(`  ${(f.selfShare * 100).toFixed(1).padStart(5)}%  ${f.file}`);
  return lines.join('\n');
}
