import { gzipSync } from 'node:zlib';
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG, writeCpioNewc, type CpioEntry } from './cpio-newc.ts';

/**
 * An initramfs around a static busybox: the directory skeleton, /bin/busybox with /bin/sh
 * linked to it, the device nodes the kernel opens before any devtmpfs (/dev/console for init's
 * stdin/stdout), and /init. Gzip-compressed, as the kernel's initramfs unpacker takes it.
 */
export interface BusyboxInitramfsOptions {
  busybox: Uint8Array;
  /** The /init script (a busybox sh script, "#!/bin/sh" first). */
  init: string;
  /** Extra files: path (no leading slash) → contents; mode 0755. */
  files?: Readonly<Record<string, Uint8Array | string>>;
}

const DIRS = ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'tmp', 'root', 'etc', 'mnt'];

/** The default /init: mounts /proc, /sys and /dev, prints a banner, runs a shell on the console. */
export const DEFAULT_INIT = `#!/bin/sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo
echo "trapspec initramfs: busybox $(busybox | head -n 1 | cut -d' ' -f2) on Linux $(uname -r)"
echo "type 'poweroff -f' (or Ctrl-A X) to leave"
setsid cttyhack sh
poweroff -f
`;

export function busyboxInitramfsEntries(options: BusyboxInitramfsOptions): CpioEntry[] {
  const dir = (name: string): CpioEntry => ({ name, mode: S_IFDIR | 0o755, data: new Uint8Array(0) });
  const file = (name: string, data: Uint8Array | string, perm = 0o755): CpioEntry => ({ name, mode: S_IFREG | perm, data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data });
  const chr = (name: string, major: number, minor: number, perm: number): CpioEntry => ({ name, mode: S_IFCHR | perm, data: new Uint8Array(0), rdevMajor: major, rdevMinor: minor });
  const entries: CpioEntry[] = DIRS.map(dir);
  entries.push(file('bin/busybox', options.busybox));
  entries.push({ name: 'bin/sh', mode: S_IFLNK | 0o777, data: Buffer.from('busybox') });
  entries.push(chr('dev/console', 5, 1, 0o600), chr('dev/ttyS0', 4, 64, 0o660), chr('dev/null', 1, 3, 0o666));
  for (const [name, data] of Object.entries(options.files ?? {})) entries.push(file(name, data));
  entries.push(file('init', options.init));
  return entries;
}

/** The gzip-compressed newc archive. */
export function buildBusyboxInitramfs(options: BusyboxInitramfsOptions): Uint8Array {
  return gzipSync(writeCpioNewc(busyboxInitramfsEntries(options)), { level: 6 });
}
