/**
 * `npm run fuzz [-- --target guest|diff|spec|all --runs N --seed S --path P --max-insns N
 *                  --minutes M --compile-every K --json FILE]`: a fuzzing campaign over the
 * properties of test/fuzz/ (scripts/fuzz/properties.ts). Prints the seed first, progress while it
 * runs, figures at the end; on a failure the shrunk counterexample and the command that replays
 * it (`npm run fuzz -- --target T --seed S --path P`). Exit status 0 all passed, 1 a property
 * failed, 2 bad arguments. See README.md.
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { diffProperty, guestProperty, newFigures, specProperty, TARGETS, type Figures, type PropertyOptions, type Target } from './fuzz/properties.ts';

function fail(message: string): never {
  process.stderr.write(`fuzz: ${message}\n`);
  process.exit(2);
}

function intOption(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) fail(`--${name} must be a whole number, got '${text}'`);
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      target: { type: 'string', default: 'all' },
      runs: { type: 'string' },
      seed: { type: 'string' },
      path: { type: 'string' },
      'max-insns': { type: 'string' },
      minutes: { type: 'string' },
      'compile-every': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
if (args.help) {
  process.stdout.write('usage: npm run fuzz -- [--target guest|diff|spec|all] [--runs N] [--seed S] [--path P] [--max-insns N] [--minutes M] [--compile-every K] [--json FILE]\n');
  process.exit(0);
}
const targets: Target[] = args.target === 'all' ? [...TARGETS] : [args.target as Target];
if (!targets.every((t) => TARGETS.includes(t))) fail(`--target must be guest, diff, spec or all, got '${args.target}'`);
if (args.path !== undefined && (args.seed === undefined || targets.length !== 1)) fail('--path replays one failure: give --seed and a single --target too');
const seed = intOption('seed', args.seed, (Date.now() ^ (Math.random() * 0x7fffffff)) | 0);
const runs = intOption('runs', args.runs, 1000);
const maxInsns = intOption('max-insns', args['max-insns'], 20_000);
const minutes = args.minutes === undefined ? Infinity : Number(args.minutes);
if (!(minutes > 0)) fail(`--minutes must be a positive number, got '${args.minutes}'`);
const compileEvery = intOption('compile-every', args['compile-every'], 25);

process.stdout.write(`fuzz: seed ${seed}, targets ${targets.join(',')}, runs ${runs} per target, max-insns ${maxInsns}${Number.isFinite(minutes) ? `, at most ${minutes} min per target` : ''}\n`);

const results: Record<string, { figures: Figures; seconds: number; failed: boolean; interrupted: boolean }> = {};
let anyFailed = false;
for (const target of targets) {
  const figures = newFigures();
  const t0 = performance.now();
  let lastReport = t0;
  const options: PropertyOptions = {
    maxInsns,
    compileEvery,
    root: process.cwd(),
    onCase: () => {
      const now = performance.now();
      if (now - lastReport < 10_000) return;
      lastReport = now;
      const s = ((now - t0) / 1000).toFixed(0);
      process.stdout.write(
        `  [${target}] ${figures.cases} cases (of ${runs}, plus shrinking), ${figures.guestsBooted} guests, ${figures.instructions} instructions, ${figures.specMutations} spec mutations, ${s} s\n`,
      );
    },
  };
  const limits = {
    seed,
    numRuns: runs,
    endOnFailure: false,
    ...(args.path !== undefined ? { path: args.path } : {}),
    ...(Number.isFinite(minutes) ? { interruptAfterTimeLimit: minutes * 60_000 } : {}),
  };
  const details: fc.RunDetails<[unknown]> =
    target === 'spec'
      ? ((await fc.check(specProperty(figures, options), limits)) as fc.RunDetails<[unknown]>)
      : (fc.check(target === 'guest' ? guestProperty(figures, options) : diffProperty(figures, options), limits) as fc.RunDetails<[unknown]>);
  const seconds = (performance.now() - t0) / 1000;
  results[target] = { figures, seconds, failed: details.failed, interrupted: details.interrupted };
  process.stdout.write(
    `[${target}] ${details.failed ? 'FAILED' : 'ok'}: ${figures.cases} cases in ${seconds.toFixed(1)} s; guests booted ${figures.guestsBooted}, instructions ${figures.instructions}, stops ${JSON.stringify(figures.stops)}; spec mutations ${figures.specMutations} (${figures.specsAccepted} accepted, ${figures.specErrors} rejected with located errors, ${figures.compiles} generated+compiled)\n`,
  );
  if (details.failed) {
    anyFailed = true;
    const example = JSON.stringify(details.counterexample, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}n` : v));
    process.stdout.write(`  counterexample (shrunk ${details.numShrinks} times): ${example}\n`);
    process.stdout.write(`  error: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}\n`);
    process.stdout.write(`  reproduce: npm run fuzz -- --target ${target} --seed ${details.seed} --path ${details.counterexamplePath ?? ''}\n`);
  }
}
if (args.json !== undefined) writeFileSync(args.json, `${JSON.stringify({ seed, runs, maxInsns, results }, null, 2)}\n`);
process.exit(anyFailed ? 1 : 0);
