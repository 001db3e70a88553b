import { describe, expect, it } from 'vitest';
import { gdbBatch, startRun, within } from './harness.ts';

/**
 * Real gdb (Debian's gdb, scripts/setup.sh) against `trapspec run --gdb 127.0.0.1:0 --gdb-wait`
 * on the bundled guests: breakpoints (also inside a loop the block compiler has compiled),
 * registers including the control registers, memory through the guest's paging, single-step,
 * watchpoints, `monitor cr`, the switch to long mode, detach.
 */
const CRTRACE = 'guests/crtrace/crtrace.img';

describe('gdb against trapspec run --gdb', () => {
  it('breaks, reads registers and memory, steps, stops in a compiled loop, watches, detaches', async () => {
    const run = startRun(CRTRACE, { gdb: { host: '127.0.0.1', port: 0 }, gdbWait: true });
    const port = await within(run.port, 20_000, 'the stub to listen');
    const out = await gdbBatch(port, [
      'break *0x100420',
      'continue',
      'info registers eip eax ebx edx',
      'p/x $cr0',
      'p/x $cr3',
      'p/x $cr4',
      'p/x $efer',
      'x/2xw 0x100810',
      'x/s 0x100810',
      'x/xw 0x800000',
      'stepi',
      'p/x $eip',
      'delete',
      'watch *(int *)0x100800',
      'continue',
      'delete',
      'break *0x100403',
      'continue',
      'p/x $ebx',
      'p/x $edx',
      'p/x $ecx',
      'stepi',
      'p/x $eip',
      'p/x $edx',
      'monitor cr',
      'delete',
      'detach',
    ]);
    const status = await within(run.done, 20_000, 'the guest to finish after detach');
    // The mark: EAX, EBX, EDX as the guest set them before calling it.
    expect(out).toMatch(/Breakpoint 1, 0x00100420 in/);
    expect(out).toMatch(/eip\s+0x100420/);
    expect(out).toMatch(/eax\s+0x12345678/);
    expect(out).toMatch(/ebx\s+0x1388\s+5000/);
    expect(out).toMatch(/edx\s+0x2710\s+10000/);
    // The guest's control registers (paging on with one 4 MiB page), not the shadow ones.
    expect(out).toContain('$1 = 0x80000011');
    expect(out).toContain('$2 = 0x101000');
    expect(out).toContain('$3 = 0x10');
    expect(out).toContain('$4 = 0x0');
    // Memory through the guest's page tables; 0x800000 is not mapped.
    expect(out).toMatch(/0x100810:\s+0x50415254\s+0x43455053/);
    expect(out).toContain('"TRAPSPEC"');
    expect(out).toMatch(/Cannot access memory at address 0x800000/);
    // stepi over the one-byte NOP.
    expect(out).toContain('$5 = 0x100421');
    // The watchpoint on watch_me fires after the store.
    expect(out).toMatch(/Hardware watchpoint 2: \*\(int \*\)0x100800\s+Old value = 0\s+New value = 51966/);
    // The loop ran 5000 times (compiled) before; the breakpoint inside it still stops it.
    expect(out).toMatch(/Breakpoint 3, 0x00100403 in/);
    expect(out).toContain('$6 = 0x1389');
    expect(out).toContain('$7 = 0x2710');
    expect(out).toContain('$8 = 0x3');
    expect(out).toContain('$9 = 0x100406');
    expect(out).toContain('$10 = 0x2712');
    // monitor cr: guest vs hardware, fields decoded from the spec.
    expect(out).toMatch(/CR0 {2}guest {4}0000000080000011 {2}PE\|ET\|PG/);
    expect(out).toMatch(/hardware 0000000080010011 {2}PE\|ET\|WP\|PG {2}\(differs\)/);
    expect(out).toMatch(/CR4 {2}guest {4}0000000000000010 {2}PSE/);
    expect(out).toContain('[Inferior 1 (Remote target) detached]');
    expect(run.stdout()).toContain('crtrace done');
    expect(status).toBe(1);
  }, 60_000);

  it('follows the switch to long mode: i386 registers at connect, amd64 after reconnecting', async () => {
    const run = startRun('guests/default/default.img', { gdb: { host: '127.0.0.1', port: 0 }, gdbWait: true });
    const port = await within(run.port, 20_000, 'the stub to listen');
    // 0x1002e0: the first 64-bit instruction of the default guest (mov rax, cr0).
    const first = await gdbBatch(port, ['show architecture', 'break *0x1002e0', 'continue', 'p/x $eip', 'p/x $efer', 'p/x $cr3', 'disconnect']);
    expect(first).toMatch(/currently "?i386"?/);
    expect(first).toMatch(/Breakpoint 1, 0x001002e0/);
    expect(first).toContain('$1 = 0x1002e0');
    expect(first).toContain('$2 = 0x500');
    expect(first).toContain('$3 = 0x105000');
    // The guest stayed stopped across the disconnect; a new gdb gets the amd64 registers.
    const second = await gdbBatch(port, ['show architecture', 'p/x $rip', 'x/i $pc', 'p/x $cr0', 'p/x $efer', 'stepi', 'p/x $rax', 'detach']);
    expect(second).toMatch(/currently "?i386:x86-64"?/);
    expect(second).toContain('$1 = 0x1002e0');
    expect(second).toMatch(/=> 0x1002e0:\s+mov\s+%cr0,%rax/);
    expect(second).toContain('$2 = 0x80000011');
    expect(second).toContain('$3 = 0x500');
    expect(second).toContain('$4 = 0x80000011');
    const status = await within(run.done, 20_000, 'the guest to finish after detach');
    expect(run.stdout()).toContain('64-bit mode:');
    expect(status).toBe(1);
  }, 60_000);

  it('--gdb-arch amd64: 64-bit registers from the 32-bit entry on, set architecture as with QEMU', async () => {
    const run = startRun('guests/default/default.img', { gdb: { host: '127.0.0.1', port: 0 }, gdbWait: true, gdbArch: 'amd64' });
    const port = await within(run.port, 20_000, 'the stub to listen');
    const out = await gdbBatch(port, [
      'p/x $rip',
      'set architecture i386',
      'x/i $pc',
      'break *0x1002e0',
      'continue',
      'set architecture i386:x86-64',
      'x/i $pc',
      'p/x $efer',
      'detach',
    ]);
    expect(out).toContain('$1 = 0x100020'); // the multiboot entry
    expect(out).toMatch(/=> 0x100020:\s+mov\s+\$0x[0-9a-f]+,%esp/);
    expect(out).toMatch(/=> 0x1002e0:\s+mov\s+%cr0,%rax/);
    expect(out).toContain('$2 = 0x500');
    expect(await within(run.done, 20_000, 'the guest to finish')).toBe(1);
  }, 60_000);
});
