import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GdbSession, type GdbRunResult } from '../../src/runtime/debug/gdb/session.ts';
import { checksum, escapeBinary, frame, PacketReader, unescapeBinary } from '../../src/runtime/debug/gdb/packets.ts';
import { REGISTERS } from '../../src/runtime/debug/gdb/registers.ts';
import { Machine } from '../../src/runtime/machine/machine.ts';
import { CapturedOutput } from '../../src/runtime/machine/output.ts';
import { exitStatusFor } from '../../src/runtime/machine/run-report.ts';
import { within } from './harness.ts';

/** The remote protocol itself: framing, malformed input, and a dropped connection mid-run. */
const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('packet framing', () => {
  it('frames with the modulo-256 checksum and reads packets split anywhere', () => {
    expect(frame('OK')).toBe('$OK#9a');
    const r = new PacketReader();
    const text = '+$qSupported:swbreak+#c9$g#67';
    const events = [...text].flatMap((c) => r.feed(enc(c)));
    expect(events.map((e) => e.kind)).toEqual(['ack', checksum('qSupported:swbreak+') === 0xc9 ? 'packet' : 'bad-checksum', 'packet']);
    expect(events[2]).toEqual({ kind: 'packet', payload: 'g' });
  });

  it('reports a bad checksum, skips noise, sees 0x03 between packets, expands run-length encoding', () => {
    const r = new PacketReader();
    expect(r.feed(enc('$g#00'))).toEqual([{ kind: 'bad-checksum' }]);
    expect(r.feed(enc('$g#zz'))).toEqual([{ kind: 'bad-checksum' }]);
    expect(r.feed(enc('garbage\x03'))).toEqual([{ kind: 'interrupt' }]);
    // "0* " = '0' then 32 - 29 = 3 more zeros.
    const body = '0* ';
    expect(r.feed(enc(`$${body}#${checksum(body).toString(16).padStart(2, '0')}`))).toEqual([{ kind: 'packet', payload: '0000' }]);
    expect(unescapeBinary(escapeBinary('a#b$c}d*e'))).toBe('a#b$c}d*e');
    expect(escapeBinary('#')).toBe('}\x03');
  });
});

/** A raw protocol client: request() sends a packet and waits for the reply payload. */
class RawClient {
  private buf = '';
  private waiters: (() => void)[] = [];
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      for (const w of this.waiters.splice(0)) w();
    });
  }
  private async next(pred: () => boolean): Promise<void> {
    while (!pred()) await new Promise<void>((r) => this.waiters.push(r));
  }
  /** The next reply packet (acks skipped), acked with '+'. */
  async reply(): Promise<string> {
    await within(this.next(() => /\$[^#]*#../.test(this.buf)), 10_000, 'a reply');
    const m = /\$([^#]*)#(..)/.exec(this.buf)!;
    this.buf = this.buf.slice(m.index + m[0].length);
    this.socket.write('+');
    return m[1]!;
  }
  async ackOrNack(): Promise<string> {
    await within(this.next(() => /[+-]/.test(this.buf)), 10_000, 'an ack');
    const c = /[+-]/.exec(this.buf)![0];
    this.buf = this.buf.replace(/^[^+-]*[+-]/, '');
    return c;
  }
  send(raw: string): void {
    this.socket.write(raw, 'latin1');
  }
  request(payload: string): Promise<string> {
    this.send(frame(payload));
    return this.reply();
  }
}

function startSession(): { machine: Machine; out: CapturedOutput; port: Promise<number>; done: Promise<GdbRunResult> } {
  const out = new CapturedOutput();
  const machine = new Machine({ memMiB: 32, paging: 'shadow', output: out });
  const loaded = machine.load(readFileSync('guests/crtrace/crtrace.img'), { file: 'crtrace.img' });
  if (!loaded.ok) throw new Error('crtrace does not load');
  let gotPort: (p: number) => void = () => undefined;
  const port = new Promise<number>((r) => (gotPort = r));
  const session = new GdbSession(machine, {
    host: '127.0.0.1',
    port: 0,
    wait: true,
    maxInsns: 10_000_000,
    exitStatus: exitStatusFor,
    log: (l) => {
      const m = /listening on [^\s]+:(\d+)/.exec(l);
      if (m) gotPort(Number(m[1]));
    },
  });
  return { machine, out, port, done: session.run() };
}

async function client(port: number): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return new RawClient(socket);
}

describe('the stub on a session', () => {
  it('answers malformed packets with errors, keeps serving, and a dropped connection mid-run lets the guest finish', async () => {
    const s = startSession();
    const c = await client(await within(s.port, 10_000, 'listen'));
    c.send('$g#00'); // bad checksum
    expect(await c.ackOrNack()).toBe('-');
    c.send('junk between packets');
    expect(await c.request('?')).toBe('T05thread:1;');
    expect(await c.request('mzz,4')).toBe('E01');
    expect(await c.request('m100810')).toBe('E01');
    expect(await c.request('Z0,nothex,1')).toBe('E01');
    expect(await c.request('Mzz,1:00')).toBe('E01');
    expect(await c.request('M100800,2:0')).toBe('E01');
    expect(await c.request('qNoSuchQuery')).toBe('');
    expect(await c.request('P99=00')).toBe('E01');
    expect(await c.request('m100810,8')).toBe(Buffer.from('TRAPSPEC').toString('hex'));
    expect(await c.request('m800000,4')).toBe('00000000'); // paging is off yet: RAM
    expect(await c.request('m100000000,4')).toBe('E14'); // no such linear address outside long mode
    const sup = await c.request('qSupported:multiprocess+;swbreak+;hwbreak+');
    expect(sup).toMatch(/PacketSize=[0-9a-f]+;qXfer:features:read\+;swbreak\+;hwbreak\+/);
    const xml = await c.request('qXfer:features:read:target.xml:0,ffff');
    expect(xml.startsWith('l<?xml')).toBe(true);
    expect(xml).toContain('<architecture>i386</architecture>');
    for (const r of ['cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer']) expect(xml).toContain(`name="${r}"`);
    const g = await c.request('g');
    expect(g.length).toBe(REGISTERS.i386.reduce((n, r) => n + r.bits / 4, 0));
    const cr0 = REGISTERS.i386.findIndex((r) => r.name === 'cr0');
    expect(await c.request(`p${cr0.toString(16)}`)).toBe('11000000'); // CR0 = PE|ET at the multiboot entry
    expect(await c.request(`P${cr0.toString(16)}=00000000`)).toBe('E01'); // control registers are read-only
    expect(await c.request('qRcmd,' + Buffer.from('nonsense').toString('hex'))).toMatch(/^[0-9a-f]+$/);
    // A breakpoint inside the loop after it was compiled: break at the mark first.
    expect(await c.request('Z0,100420,1')).toBe('OK');
    c.send(frame('c'));
    expect(await c.reply()).toBe('T05swbreak:;thread:1;');
    expect(s.machine.cpu.decoded.jit.compiled).toBeGreaterThan(0);
    expect(await c.request('z0,100420,1')).toBe('OK');
    expect(await c.request('Z1,100403,1')).toBe('OK');
    c.send(frame('vCont;c'));
    expect(await c.reply()).toBe('T05hwbreak:;thread:1;');
    expect(await c.request('z1,100403,1')).toBe('OK');
    // Continue, then drop the connection while the guest runs: it runs to its end.
    c.send(frame('c'));
    c.socket.destroy();
    const r = await within(s.done, 20_000, 'the run to end');
    expect(r).toMatchObject({ kind: 'stopped', stop: { kind: 'debug-exit', status: 1 } });
    expect(s.out.text()).toContain('crtrace done');
  }, 60_000);

  it('Ctrl-C stops a running guest, k ends the run', async () => {
    const out = new CapturedOutput();
    const machine = new Machine({ memMiB: 32, paging: 'shadow', output: out });
    // guests/spin never ends on its own.
    if (!machine.load(readFileSync('guests/spin/spin.img'), { file: 'spin.img' }).ok) throw new Error('spin does not load');
    let gotPort: (p: number) => void = () => undefined;
    const port = new Promise<number>((r) => (gotPort = r));
    const done = new GdbSession(machine, {
      host: '127.0.0.1',
      port: 0,
      wait: false,
      exitStatus: exitStatusFor,
      log: (l) => {
        const m = /listening on [^\s]+:(\d+)/.exec(l);
        if (m) gotPort(Number(m[1]));
      },
    }).run();
    const c = await client(await within(port, 10_000, 'listen'));
    expect(await c.request('?')).toBe('T02thread:1;'); // stopped on connect, as QEMU does
    c.send(frame('c'));
    await new Promise((r) => setTimeout(r, 200));
    const before = machine.cpu.stats.instructions;
    c.send('\x03');
    expect(await c.reply()).toBe('T02thread:1;');
    expect(before).toBeGreaterThan(0);
    // Stopped: the count stays.
    const stopped = machine.cpu.stats.instructions;
    await new Promise((r) => setTimeout(r, 100));
    expect(machine.cpu.stats.instructions).toBe(stopped);
    c.send(frame('k'));
    expect(await within(done, 10_000, 'kill')).toMatchObject({ kind: 'killed' });
  }, 30_000);
});
