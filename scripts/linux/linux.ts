/**
 * `npm run linux [-- options]`: boot a Debian kernel with a busybox initramfs under trapspec,
 * the serial console on this terminal. Fetches linux-image-686 (or --kernel-package, or
 * linux-image-cloud-amd64 with --arch x86_64) and busybox-static by package name with apt
 * (cached in .cache/linux/), builds the initramfs in TypeScript, and runs
 * `trapspec run KERNEL --initrd INITRD --append ...`. See docs/linux.md.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ARCHES, DEFAULT_APPEND, initramfsFor, linuxFiles, ROOT, type Arch } from './files.ts';
import { FetchError } from './debian-packages.ts';

interface Options {
  arch: Arch;
  kernelPackage?: string;
  paging: string;
  init?: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  mem: string;
  stats?: boolean;
  maxInsns?: string;
  fetchOnly?: boolean;
  console?: string;
  clock?: string;
}

const program = new Command()
  .name('npm run linux --')
  .description('boot Debian Linux with a busybox initramfs under trapspec (serial console on this terminal)')
  .addOption(new Option('--arch <arch>', 'guest architecture').choices(Object.keys(ARCHES)).default('i386'))
  .option('--kernel-package <name>', 'Debian kernel package (default linux-image-686; linux-image-cloud-amd64 for x86_64)')
  .addOption(new Option('--paging <mode>', 'how trapspec virtualizes paging').choices(['shadow', 'nested', 'direct']).default('shadow'))
  .option('--init <file>', 'your own /init script for the busybox initramfs')
  .option('--kernel <file>', 'your own bzImage instead of the Debian one')
  .option('--initrd <file>', 'your own initrd instead of the busybox one')
  .option('--append <string>', `extra kernel command line (after "${DEFAULT_APPEND}")`)
  .option('--mem <MiB>', 'guest RAM in MiB', '256')
  .option('--stats', 'print run statistics after the run')
  .option('--max-insns <N>', 'stop after N instructions')
  .addOption(new Option('--console <mode>', 'COM1 input (default: raw on a terminal, Ctrl-A X quits; auto otherwise)').choices(['auto', 'raw', 'none']))
  .addOption(new Option('--clock <mode>', 'virtual time: deterministic (default) or realtime').choices(['deterministic', 'realtime']))
  .option('--fetch-only', 'fetch (cache) the packages and build the initramfs, print their paths, do not boot');

program.parse();
const o = program.opts<Options>();

try {
  const needDebian = o.kernel === undefined || o.initrd === undefined;
  const files = needDebian ? linuxFiles(o.arch, o.kernelPackage) : undefined;
  const kernel = o.kernel ?? files!.kernel;
  let init: string | undefined;
  if (o.init !== undefined) {
    try {
      init = readFileSync(o.init, 'utf8');
    } catch (error) {
      throw new InvalidArgumentError(`--init ${o.init}: ${(error as Error).message}`);
    }
  }
  const initrd = o.initrd ?? initramfsFor(files!.busybox, init);
  if (o.fetchOnly === true) {
    process.stdout.write(`kernel ${kernel}\ninitrd ${initrd}\n`);
    process.exit(0);
  }
  const append = o.append === undefined ? DEFAULT_APPEND : `${DEFAULT_APPEND} ${o.append}`;
  const args = [join(ROOT, 'bin', 'trapspec.js'), 'run', kernel, '--initrd', initrd, '--append', append, '--mem', o.mem, '--paging', o.paging];
  args.push('--console', o.console ?? (process.stdin.isTTY === true ? 'raw' : 'auto'));
  if (o.clock !== undefined) args.push('--clock', o.clock);
  if (o.stats === true) args.push('--stats');
  if (o.maxInsns !== undefined) args.push('--max-insns', o.maxInsns);
  process.stderr.write(`linux: ${files?.kernelPackage ?? kernel} with ${initrd.slice(ROOT.length + 1)} (--paging ${o.paging})\n`);
  const child = spawnSync(process.execPath, args, { stdio: 'inherit' });
  process.exit(child.status ?? 70);
} catch (error) {
  if (error instanceof FetchError || error instanceof InvalidArgumentError) {
    process.stderr.write(`linux: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
