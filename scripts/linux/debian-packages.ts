/**
 * Debian packages by name, the way a person would get them on this machine: `apt-cache depends`
 * to resolve a metapackage (linux-image-686 → linux-image-6.1.0-NN-686), `apt-get download` into
 * a cache folder, `dpkg-deb -x` to unpack. The architecture (i386) is added to dpkg and the
 * lists updated once, only when apt does not know the package yet. No URL or mirror is named:
 * apt uses the machine's own sources. Every failure is one clear error (thrown as FetchError).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class FetchError extends Error {}

interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd?: string): Ran {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.error !== undefined) throw new FetchError(`${command}: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed (this needs a Debian machine with apt)' : r.error.message}`);
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
}

function asRoot(): void {
  if (process.getuid?.() !== 0) throw new FetchError('fetching Debian packages needs root (apt-get download, dpkg --add-architecture); run as root or with sudo');
}

let listsUpdated = false;

/** Add `arch` to dpkg's foreign architectures (if it is not the native one) and update the lists, once per process. */
function prepareApt(arch: string): void {
  asRoot();
  const native = run('dpkg', ['--print-architecture']).stdout.trim();
  const foreign = run('dpkg', ['--print-foreign-architectures']).stdout.split('\n').map((s) => s.trim());
  if (arch !== native && !foreign.includes(arch)) {
    const r = run('dpkg', ['--add-architecture', arch]);
    if (r.status !== 0) throw new FetchError(`dpkg --add-architecture ${arch} failed: ${lastLine(r.stderr)}`);
    listsUpdated = false;
  }
  if (listsUpdated) return;
  const r = run('apt-get', ['update', '-q']);
  if (r.status !== 0) throw new FetchError(`apt-get update failed: ${lastLine(r.stderr)}`);
  listsUpdated = true;
}

/** `apt-cache depends` of pkg:arch, or undefined when apt does not know it. */
function depends(qualified: string): string[] | undefined {
  const r = run('apt-cache', ['depends', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', qualified]);
  if (r.status !== 0 || r.stdout.trim() === '') return undefined;
  return r.stdout
    .split('\n')
    .map((l) => /^\s*(?:\|)?Depends:\s*(\S+)/.exec(l)?.[1])
    .filter((d): d is string => d !== undefined && !d.startsWith('<'));
}

/**
 * The package that holds the files: a linux-image metapackage resolves to the versioned image
 * package it depends on; other packages are themselves.
 */
export function resolvePackage(name: string, arch: string): string {
  const qualified = `${name}:${arch}`;
  let deps = depends(qualified);
  if (deps === undefined) {
    prepareApt(arch);
    deps = depends(qualified);
    if (deps === undefined) throw new FetchError(`apt does not know the package ${qualified} (after apt-get update)`);
  }
  if (!name.startsWith('linux-image-')) return name;
  const image = deps.map((d) => d.replace(/:.*$/, '')).find((d) => /^linux-image-\d/.test(d));
  return image ?? name;
}

/**
 * Download and unpack `name` for `arch` under `cacheDir/arch/PACKAGE/`, unless already there.
 * Returns the unpacked root.
 */
export function fetchPackage(name: string, arch: string, cacheDir: string): { package: string; root: string } {
  const pkg = resolvePackage(name, arch);
  const root = join(cacheDir, arch, pkg);
  if (existsSync(join(root, '.complete'))) return { package: pkg, root };
  asRoot();
  const work = join(cacheDir, arch, `.download-${pkg}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  // apt-get download drops privileges to _apt where it can; a root-owned folder makes it warn, not fail.
  let r = run('apt-get', ['download', '-q', `${pkg}:${arch}`], work);
  if (r.status !== 0) {
    prepareApt(arch);
    r = run('apt-get', ['download', '-q', `${pkg}:${arch}`], work);
    if (r.status !== 0) throw new FetchError(`apt-get download ${pkg}:${arch} failed: ${lastLine(r.stderr)}`);
  }
  const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
  if (deb === undefined) throw new FetchError(`apt-get download ${pkg}:${arch} left no .deb file`);
  const unpacked = join(work, 'root');
  const x = run('dpkg-deb', ['-x', join(work, deb), unpacked]);
  if (x.status !== 0) throw new FetchError(`dpkg-deb -x ${deb} failed: ${lastLine(x.stderr)}`);
  rmSync(root, { recursive: true, force: true });
  renameSync(unpacked, root);
  writeFileSync(join(root, '.complete'), `${pkg}:${arch}\n`);
  rmSync(work, { recursive: true, force: true });
  return { package: pkg, root };
}
