import { buildGuest } from './guest.ts';
import { parseOutput, type Observation } from './output.ts';
import type { Runner } from './runners.ts';
import type { ConformVector } from './vector.ts';

/**
 * Runs vectors on one runner: all in one image, and when an image stops early (a triple fault,
 * a hang), the vector that was running is charged with it and the rest run again in a fresh
 * image. So one vector that kills QEMU costs one extra boot, not the whole comparison.
 */

export type VectorRun =
  | { kind: 'observed'; obs: Observation }
  | { kind: 'crash' | 'hang' | 'error'; detail: string }
  | { kind: 'skipped'; reason: string };

export interface ExecuteStats {
  images: number;
  seconds: number;
}

const CHUNK = 600;

/** Vectors known to stop a runner outright go in images of their own, up front. */
export type Isolate = (v: ConformVector) => boolean;

export async function executeVectors(
  vectors: readonly ConformVector[],
  runner: Runner,
  isolate: Isolate = () => false,
  confirmAlone = true,
  parallel = 1,
): Promise<{ runs: Map<string, VectorRun>; stats: ExecuteStats }> {
  const runs = new Map<string, VectorRun>();
  const t0 = performance.now();
  let images = 0;
  const common = vectors.filter((v) => !isolate(v));
  const alone = vectors.filter((v) => isolate(v));
  const runBatch = async (batch: ConformVector[]): Promise<void> => {
    let pending = batch;
    while (pending.length > 0) {
      const guest = buildGuest(pending);
      for (const s of guest.skipped) runs.set(s.vector.id, { kind: 'skipped', reason: s.reason });
      if (guest.vectors.length === 0) break;
      images++;
      const r = await runner.run(guest.bytes, guest.vectors.length);
      const parsed = parseOutput(r.output);
      let firstMissing = -1;
      guest.vectors.forEach((v, i) => {
        const obs = parsed.results.get(v.id);
        if (obs !== undefined) runs.set(v.id, { kind: 'observed', obs });
        else if (firstMissing < 0) firstMissing = i;
      });
      if (firstMissing < 0) break;
      const culprit = guest.vectors[firstMissing];
      if (culprit === undefined) break;
      const kind = r.end === 'hang' ? 'hang' : r.end === 'error' ? 'error' : 'crash';
      runs.set(culprit.id, { kind, detail: r.detail });
      if (!parsed.begun) {
        // The guest never reached its first vector (the runner cannot load or start it): every
        // vector of the image is charged with the same failure rather than retried one by one.
        for (const v of guest.vectors) runs.set(v.id, { kind, detail: `before the first vector: ${r.detail}` });
        break;
      }
      if (firstMissing > 0 && confirmAlone) {
        // Run the culprit on its own: a stop caused by state an earlier vector left behind must
        // not be charged to it.
        const alone = buildGuest([culprit]);
        images++;
        const r1 = await runner.run(alone.bytes, 1);
        const obs = parseOutput(r1.output).results.get(culprit.id);
        if (obs !== undefined) runs.set(culprit.id, { kind: 'observed', obs });
        else
          runs.set(culprit.id, {
            kind: r1.end === 'hang' ? 'hang' : r1.end === 'error' ? 'error' : 'crash',
            detail: r1.detail,
          });
      }
      pending = guest.vectors.slice(firstMissing + 1);
    }
  };
  // Isolated vectors (each in its own image, most of them hang the runner until its time
  // limit) run a few at a time; the common image runs alongside them.
  const queue = alone.map((v) => [v]);
  const worker = async (): Promise<void> => {
    for (let b = queue.shift(); b !== undefined; b = queue.shift()) await runBatch(b);
  };
  // Images hold at most CHUNK vectors (the image must end below the user region at 4 MiB and
  // the real-mode code must fit its 64 KiB segment).
  const chunks: ConformVector[][] = [];
  for (let i = 0; i < common.length; i += CHUNK) chunks.push(common.slice(i, i + CHUNK));
  const runChunks = async (): Promise<void> => {
    for (const c of chunks) await runBatch(c);
  };
  await Promise.all([runChunks(), ...Array.from({ length: parallel }, worker)]);
  return { runs, stats: { images, seconds: (performance.now() - t0) / 1000 } };
}
