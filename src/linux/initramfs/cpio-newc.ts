/**
 * The cpio "newc" archive format (SVR4 with no CRC, magic 070701), the format the Linux kernel
 * unpacks as an initramfs (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a
 * 110-byte ASCII header of thirteen 8-digit hex fields, the NUL-terminated name padded to a
 * multiple of 4 bytes (counting the header), then the data padded to 4; the archive ends with
 * an entry named "TRAILER!!!".
 */
export const NEWC_MAGIC = '070701';
const HEADER_BYTES = 110;
export const TRAILER = 'TRAILER!!!';

/** File type bits of st_mode. */
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;

export interface CpioEntry {
  /** Path without a leading slash ("init", "bin/busybox"). */
  name: string;
  /** st_mode: type and permission bits. */
  mode: number;
  /** File contents, or a symlink's target. */
  data: Uint8Array;
  uid?: number;
  gid?: number;
  mtime?: number;
  /** Device number of a character or block special file. */
  rdevMajor?: number;
  rdevMinor?: number;
}

const FIELDS = ['ino', 'mode', 'uid', 'gid', 'nlink', 'mtime', 'filesize', 'devmajor', 'devminor', 'rdevmajor', 'rdevminor', 'namesize', 'check'] as const;
type Field = (typeof FIELDS)[number];

const pad4 = (n: number): number => (4 - (n % 4)) % 4;
const hex8 = (n: number): string => {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RangeError(`cpio field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
};

/** Write entries (in order; directories before what they hold) and the trailer. */
export function writeCpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const push = (bytes: Uint8Array): void => {
    chunks.push(bytes);
    length += bytes.length;
  };
  const record = (entry: CpioEntry, ino: number): void => {
    const name = Buffer.from(`${entry.name}\0`, 'utf8');
    const values: Record<Field, number> = {
      ino,
      mode: entry.mode,
      uid: entry.uid ?? 0,
      gid: entry.gid ?? 0,
      nlink: (entry.mode & S_IFMT) === S_IFDIR ? 2 : 1,
      mtime: entry.mtime ?? 0,
      filesize: entry.data.length,
      devmajor: 0,
      devminor: 0,
      rdevmajor: entry.rdevMajor ?? 0,
      rdevminor: entry.rdevMinor ?? 0,
      namesize: name.length,
      check: 0,
    };
    push(Buffer.from(NEWC_MAGIC + FIELDS.map((f) => hex8(values[f])).join(''), 'ascii'));
    push(name);
    push(new Uint8Array(pad4(HEADER_BYTES + name.length)));
    push(entry.data);
    push(new Uint8Array(pad4(entry.data.length)));
  };
  entries.forEach((e, i) => {
    if (e.name === '' || e.name.startsWith('/') || e.name === TRAILER) throw new RangeError(`bad cpio entry name: ${JSON.stringify(e.name)}`);
    record(e, i + 1);
  });
  record({ name: TRAILER, mode: 0, data: new Uint8Array(0) }, 0);
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Read a newc archive back (up to the trailer); throws on a malformed archive. */
export function readCpioNewc(archive: Uint8Array): CpioEntry[] {
  const entries: CpioEntry[] = [];
  let at = 0;
  for (;;) {
    if (at + HEADER_BYTES > archive.length) throw new RangeError(`cpio: truncated header at ${at}`);
    const header = Buffer.from(archive.subarray(at, at + HEADER_BYTES)).toString('ascii');
    if (!header.startsWith(NEWC_MAGIC)) throw new RangeError(`cpio: bad magic at ${at}`);
    const field = (f: Field): number => parseInt(header.slice(6 + FIELDS.indexOf(f) * 8, 14 + FIELDS.indexOf(f) * 8), 16);
    const namesize = field('namesize');
    const filesize = field('filesize');
    const nameStart = at + HEADER_BYTES;
    const name = Buffer.from(archive.subarray(nameStart, nameStart + namesize - 1)).toString('utf8');
    const dataStart = nameStart + namesize + pad4(HEADER_BYTES + namesize);
    if (dataStart + filesize > archive.length) throw new RangeError(`cpio: ${name} extends past the end`);
    if (name === TRAILER) return entries;
    entries.push({
      name,
      mode: field('mode'),
      uid: field('uid'),
      gid: field('gid'),
      mtime: field('mtime'),
      rdevMajor: field('rdevmajor'),
      rdevMinor: field('rdevminor'),
      data: new Uint8Array(archive.subarray(dataStart, dataStart + filesize)),
    });
    at = dataStart + filesize + pad4(filesize);
  }
}
