import type { Command } from 'commander';
import { resolve } from 'node:path';
import pc from 'picocolors';
import { runConform } from '../../conform/conform.ts';
import { DEFAULT_KNOWN, loadKnown } from '../../conform/known.ts';
import { DEFAULT_VECTORS, loadVectorsFile } from '../../conform/load-vectors.ts';
import { formatTable, toJson } from '../../conform/report.ts';
import { qemuAvailable, qemuRunner, qemuVersion } from '../../conform/runners.ts';
import { buildCpuidGuest, parseCpuid } from '../../conform/cpuid-guest.ts';
import { compareCpuModel, formatCpuModelDiffs } from '../../conform/cpu-model-check.ts';
import { loadSpec } from '../../../codegen/load.ts';
import { projectRoot } from './root.ts';

interface ConformFlags {
  oracle?: string;
  filter?: string;
  json?: boolean;
  vectors?: string;
  known?: string;
  all?: boolean;
  cpuid?: boolean;
}

/**
 * `trapspec conform [--oracle qemu] [--filter RULE] [--json]`: the conformance vectors as guests,
 * on trapspec (shadow and nested paging) and QEMU; exit status 1 on a disagreement that
 * conform/known-disagreements.json does not explain (README.md).
 */
export function registerConform(program: Command): void {
  program
    .command('conform')
    .description('run the conformance vectors as guests on trapspec (shadow, nested) and QEMU, judged by the spec')
    .option('--oracle <name>', "also run on an oracle: 'qemu' (QEMU TCG, -cpu max)")
    .option('--filter <rule>', 'only vectors whose id contains RULE or that cite it (R7, write-CR4, write-CR0/g3)')
    .option('--json', 'print the report as JSON')
    .option('--all', 'list agreeing vectors too (default: disagreements only)')
    .option('--vectors <file>', 'vector JSON', DEFAULT_VECTORS)
    .option('--known <file>', 'known-disagreements file', DEFAULT_KNOWN)
    .option('--cpuid', "instead: compare the spec's CPU model with the CPUID QEMU -cpu max reports")
    .action(async (flags: ConformFlags) => {
      const root = projectRoot();
      if (flags.cpuid === true) return cpuidCheck(root);
      const vectors = loadVectorsFile(resolve(root, flags.vectors ?? DEFAULT_VECTORS));
      if (!vectors.ok) return fail(vectors.message);
      const known = loadKnown(resolve(root, flags.known ?? DEFAULT_KNOWN));
      if (!known.ok) return fail(known.message);
      if (flags.oracle !== undefined && flags.oracle !== 'qemu')
        return fail(`--oracle: unknown oracle '${flags.oracle}' (known: qemu)`);
      const qemu = flags.oracle === 'qemu';
      if (qemu && !qemuAvailable())
        return fail('--oracle qemu: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)');
      const report = await runConform({ vectors: vectors.vectors, known: known.entries, qemu, filter: flags.filter });
      if (report.vectors.length === 0) return fail(`--filter ${flags.filter}: no vector matches`);
      if (flags.json === true) process.stdout.write(`${JSON.stringify(toJson(report), null, 2)}\n`);
      else process.stdout.write(formatTable(report, { onlyDisagreements: flags.all !== true, color: pc }));
      if (report.unknownDisagreements > 0) process.exitCode = 1;
    });
}

async function cpuidCheck(root: string): Promise<void> {
  if (!qemuAvailable()) return fail('--cpuid: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)');
  const spec = loadSpec(root);
  if ('errors' in spec) return fail('the register spec does not load (run trapspec gen for the errors)');
  const r = await qemuRunner().run(buildCpuidGuest(), 1);
  const leaves = parseCpuid(r.output);
  if (leaves.length === 0) return fail(`--cpuid: the CPUID guest printed nothing under QEMU (${r.detail})`);
  process.stdout.write(`oracle: ${qemuVersion()}, -cpu max\n`);
  process.stdout.write(formatCpuModelDiffs(spec.spec.cpu, compareCpuModel(spec.spec.cpu, leaves)));
}

function fail(message: string): void {
  process.stderr.write(`trapspec conform: ${message}\n`);
  process.exitCode = 2;
}
