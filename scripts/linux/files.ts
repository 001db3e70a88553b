/**
 * The files a Linux boot needs: a Debian kernel and a static busybox (fetched by package name
 * into .cache/linux/, see debian-packages.ts) and an initramfs built from them in TypeScript.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBusyboxInitramfs, DEFAULT_INIT } from '../../src/linux/initramfs/busybox-initramfs.ts';
import { fetchPackage, FetchError } from './debian-packages.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE_DIR = join(ROOT, '.cache', 'linux');

export const ARCHES = { i386: { debian: 'i386', kernel: 'linux-image-686' }, x86_64: { debian: 'amd64', kernel: 'linux-image-cloud-amd64' } } as const;
export type Arch = keyof typeof ARCHES;

/**
 * The console on the first serial port (the decompressor's and the early kernel's output too),
 * nokaslr for a reproducible layout, panic=-1 so a panic reboots (the run ends) instead of spinning.
 */
export const DEFAULT_APPEND = 'console=ttyS0 earlyprintk=serial,ttyS0,115200 nokaslr panic=-1';

export interface LinuxFiles {
  kernel: string;
  busybox: string;
  kernelPackage: string;
}

/** Find (and with fetch=true, download) the kernel and busybox of `arch`. */
export function linuxFiles(arch: Arch, kernelPackage: string = ARCHES[arch].kernel, fetch = true): LinuxFiles {
  const debArch = ARCHES[arch].debian;
  const get = (name: string): { package: string; root: string } => {
    if (fetch) return fetchPackage(name, debArch, CACHE_DIR);
    const dir = join(CACHE_DIR, debArch);
    const prefix = name.startsWith('linux-image-') ? name.replace(/^linux-image-/, 'linux-image-') : name;
    const match = existsSync(dir) ? readdirSync(dir).filter((d) => d === name || (name.startsWith('linux-image-') && /^linux-image-\d/.test(d) && d.endsWith(name.slice('linux-image'.length)))) : [];
    const found = match.find((d) => existsSync(join(dir, d, '.complete')));
    if (found === undefined) throw new FetchError(`${prefix}:${debArch} is not in ${dir} (run: npm run linux -- --fetch-only${arch === 'i386' ? '' : ' --arch ' + arch})`);
    return { package: found, root: join(dir, found) };
  };
  const image = get(kernelPackage);
  const boot = join(image.root, 'boot');
  const vmlinuz = existsSync(boot) ? readdirSync(boot).find((f) => f.startsWith('vmlinuz-')) : undefined;
  if (vmlinuz === undefined) throw new FetchError(`${image.package} has no /boot/vmlinuz-*: not a kernel image package`);
  const bb = get('busybox-static');
  const busybox = join(bb.root, 'bin', 'busybox');
  if (!existsSync(busybox)) throw new FetchError(`${bb.package} has no /bin/busybox`);
  return { kernel: join(boot, vmlinuz), busybox, kernelPackage: image.package };
}

/** Build (or reuse) the gzip'd initramfs of busybox + `init` in the cache; returns its path. */
export function initramfsFor(busyboxPath: string, init: string = DEFAULT_INIT, files: Record<string, string> = {}): string {
  const busybox = new Uint8Array(readFileSync(busyboxPath));
  const hash = createHash('sha256').update(busybox).update(init).update(JSON.stringify(files)).digest('hex').slice(0, 16);
  const out = join(CACHE_DIR, 'initramfs', `busybox-${hash}.cpio.gz`);
  if (!existsSync(out)) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, buildBusyboxInitramfs({ busybox, init, files }));
  }
  return out;
}
