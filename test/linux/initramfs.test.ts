import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { busyboxInitramfsEntries, buildBusyboxInitramfs, DEFAULT_INIT } from '../../src/linux/initramfs/busybox-initramfs.ts';
import { readCpioNewc, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, writeCpioNewc } from '../../src/linux/initramfs/cpio-newc.ts';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

describe('cpio newc', () => {
  it('writes the 110-byte ASCII header, 4-byte padding and the trailer, and reads back what it wrote', () => {
    const data = Buffer.from('hello\n');
    const archive = writeCpioNewc([
      { name: 'etc', mode: S_IFDIR | 0o755, data: new Uint8Array(0) },
      { name: 'etc/motd', mode: S_IFREG | 0o644, data, mtime: 1234 },
      { name: 'dev/console', mode: S_IFCHR | 0o600, data: new Uint8Array(0), rdevMajor: 5, rdevMinor: 1 },
    ]);
    const header = Buffer.from(archive.subarray(0, 110)).toString('ascii');
    expect(header.slice(0, 6)).toBe('070701');
    expect(header.slice(6, 14)).toBe('00000001'); // ino
    expect(header.slice(14, 22)).toBe('000041ed'); // mode: directory 0755
    expect(header.slice(94, 102)).toBe('00000004'); // namesize "etc\0"
    expect(text(archive.subarray(110, 114))).toBe('etc\0');
    // Every header starts on a 4-byte boundary: the second one follows at 110 + 4 = 114 -> 116.
    expect(Buffer.from(archive.subarray(116, 122)).toString('ascii')).toBe('070701');
    expect(archive.length % 4).toBe(0);
    expect(text(archive).includes('TRAILER!!!\0')).toBe(true);
    const back = readCpioNewc(archive);
    expect(back.map((e) => e.name)).toEqual(['etc', 'etc/motd', 'dev/console']);
    expect(text(back[1]!.data)).toBe('hello\n');
    expect(back[1]!.mtime).toBe(1234);
    expect(back[1]!.mode).toBe(S_IFREG | 0o644);
    expect([back[2]!.rdevMajor, back[2]!.rdevMinor]).toEqual([5, 1]);
  });

  it('pads data of every length to 4 bytes', () => {
    for (let n = 0; n < 9; n++) {
      const archive = writeCpioNewc([{ name: 'f', mode: S_IFREG | 0o644, data: new Uint8Array(n).fill(0x41 + n) }]);
      const [entry] = readCpioNewc(archive);
      expect(entry!.data).toEqual(new Uint8Array(n).fill(0x41 + n));
      expect(archive.length % 4).toBe(0);
    }
  });

  it('refuses absolute and empty names, and malformed archives', () => {
    expect(() => writeCpioNewc([{ name: '/init', mode: S_IFREG, data: new Uint8Array(0) }])).toThrow(/bad cpio entry name/);
    expect(() => writeCpioNewc([{ name: '', mode: S_IFREG, data: new Uint8Array(0) }])).toThrow(/bad cpio entry name/);
    expect(() => readCpioNewc(new Uint8Array(50))).toThrow(/truncated header/);
    expect(() => readCpioNewc(new Uint8Array(200))).toThrow(/bad magic/);
  });
});

describe('busybox initramfs', () => {
  const busybox = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]);

  it('is a gzip of a newc archive with busybox, /bin/sh, device nodes and /init', () => {
    const gz = buildBusyboxInitramfs({ busybox, init: DEFAULT_INIT, files: { 'etc/test.sh': 'echo hi\n' } });
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]); // gzip magic
    const entries = readCpioNewc(gunzipSync(gz));
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get('bin/busybox')!.data).toEqual(busybox);
    expect(byName.get('bin/busybox')!.mode).toBe(S_IFREG | 0o755);
    expect(byName.get('bin/sh')!.mode & S_IFMT).toBe(S_IFLNK);
    expect(text(byName.get('bin/sh')!.data)).toBe('busybox');
    expect(byName.get('dev/console')).toMatchObject({ mode: S_IFCHR | 0o600, rdevMajor: 5, rdevMinor: 1 });
    expect(byName.get('dev/ttyS0')).toMatchObject({ rdevMajor: 4, rdevMinor: 64 });
    expect(text(byName.get('init')!.data)).toBe(DEFAULT_INIT);
    expect(text(byName.get('etc/test.sh')!.data)).toBe('echo hi\n');
    for (const d of ['proc', 'sys', 'dev', 'bin', 'tmp']) expect(byName.get(d)!.mode & S_IFMT).toBe(S_IFDIR);
    // Directories come before what they hold (the kernel unpacks in order).
    const index = (n: string): number => entries.findIndex((e) => e.name === n);
    expect(index('bin')).toBeLessThan(index('bin/busybox'));
    expect(index('dev')).toBeLessThan(index('dev/console'));
  });

  it("the default /init mounts /proc and /sys, prints a banner and starts a shell on the console", () => {
    const init = text(busyboxInitramfsEntries({ busybox, init: DEFAULT_INIT }).find((e) => e.name === 'init')!.data);
    expect(init.startsWith('#!/bin/sh\n')).toBe(true);
    expect(init).toMatch(/mount -t proc proc \/proc/);
    expect(init).toMatch(/mount -t sysfs sysfs \/sys/);
    expect(init).toMatch(/setsid cttyhack sh/);
  });
});
