/**
 * Exit sites in compiled blocks (compile.ts): MOV to/from CR and CLTS run their handler, and so
 * their VM exit, in the middle of a block. Under the trap monitor and every paging strategy, a
 * loop of CR exits mixed with register arithmetic ends in exactly the interpreter's state, and
 * an exit that injects #GP leaves the block with RIP at the faulting MOV.
 */
import { describe, expect, it } from 'vitest';
import { Machine, type PagingModeName } from '../../../src/runtime/machine/machine.ts';
import { createTrapMonitor } from '../../../src/runtime/vmm/create-monitor.ts';
import type { TrapMonitor } from '../../../src/runtime/vmm/trap-monitor.ts';
import type { CrAccessExit, VmExit } from '../../../src/runtime/vmm/exit.ts';
import type { ExitOutcome, Monitor } from '../../../src/runtime/vmm/monitor.ts';
import type { Vcpu } from '../../../src/runtime/vmm/vcpu.ts';

/*
 * nasm -f bin (org 0x7C00): real mode, lgdt/lidt, CR0.PE, far jmp to flat 32-bit code, then
 *   mov eax,cr0 / mov ebx,eax / or ebx,8 / mov eax,cr4 / mov edi,eax / mov esi,eax
 *   or esi,[toggle] / mov ecx,[count] / xor edx,edx
 *   loop: mov cr0,ebx / clts / add edx,ecx / mov cr4,esi / mov cr4,edi / mov eax,cr3
 *         add eax,edx / dec ecx / jnz loop
 *   mov ebp,0x80000000
 *   again: add edx,3 / mov cr4,ebp (reserved bit: #GP) / jmp again
 *   gp (IDT vector 13): pop ebx (error code) / mov ebp,0x1234 / hlt
 * `toggle` and `count` are the image's last two dwords.
 */
const IMAGE = [
  'fa0f0116887c0f011efe7c0f20c06683c8010f22c066ea1d7c0000080066b810008ed88ed0bc009000000f20c089c383cb080f20e089c789',
  'c60b35047d00008b0d087d000031d20f22c30f0601ca0f22e60f22e70f20d801d04975ebbd0000008083c2030f22e5ebf85bbd34120000f4',
  '0000000000000000ffff0000009acf00ffff00000092cf001700707c00000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
  '00000000000000000000000000000000000000000000697c0800008e00006f008e7c00000000000000000000',
].join('');
const FAULTING_MOV = 0x7c64;
const HLT = 0x7c6f;
const CR4_PGE = 0x80;
const CR4_OSXMMEXCPT = 0x400;
const CR4_PSE = 0x10;

function image(toggle: number, count: number): Uint8Array {
  const bytes = Uint8Array.from(Buffer.from(IMAGE, 'hex'));
  const view = new DataView(bytes.buffer);
  view.setUint32(bytes.length - 8, toggle, true);
  view.setUint32(bytes.length - 4, count, true);
  return bytes;
}

interface Outcome {
  stop: string;
  ip: number;
  regs: string[];
  instructions: number;
  exits: Record<string, number>;
  guest: Record<string, string>;
  exitSiteCalls: number;
  exitSiteResumes: number;
}

/**
 * The trap monitor, except that every other MOV to CR4 exit is resumed without handling it
 * (RIP not advanced: the instruction runs again), as a monitor that retries an exit would.
 */
class RetryingMonitor implements Monitor {
  private seen = 0;
  constructor(readonly inner: TrapMonitor) {}
  attach(vcpu: Vcpu): void {
    this.inner.attach(vcpu);
  }
  handleExit(exit: VmExit, vcpu: Vcpu): ExitOutcome {
    return this.inner.handleExit(exit, vcpu);
  }
  handleCrAccess(exit: CrAccessExit, vcpu: Vcpu): ExitOutcome {
    if (exit.access === 'mov-to-cr' && exit.cr === 4 && this.seen++ % 2 === 0) return { kind: 'resume' };
    return this.inner.handleCrAccess(exit, vcpu);
  }
}

function run(paging: PagingModeName, jit: boolean, toggle: number, count: number, retry = false): Outcome {
  let monitor: TrapMonitor | undefined;
  const m = new Machine({
    memMiB: 16,
    paging,
    output: { writeByte: () => undefined },
    monitorFactory: (ctx) => {
      monitor = createTrapMonitor(ctx);
      return retry ? new RetryingMonitor(monitor) : monitor;
    },
  });
  const loaded = m.load(image(toggle, count), {
    file: 'exit-sites.img',
    format: 'flat',
  });
  if (!loaded.ok) throw new Error('image did not load');
  const j = m.cpu.decoded.jit;
  j.enabled = jit;
  j.threshold = 1;
  const res = m.run(1_000_000);
  const regs: string[] = [];
  for (let r = 0; r < 8; r++) regs.push(m.cpu.readGpr(r).toString(16));
  const guest = Object.fromEntries(Object.entries(monitor!.guest.values()).map(([k, v]) => [k, v.toString(16)]));
  return {
    stop: res.stop.kind,
    ip: m.cpu.ip,
    regs,
    instructions: m.cpu.stats.instructions,
    exits: Object.fromEntries(m.stats().exits),
    guest,
    exitSiteCalls: j.exitSiteCalls,
    exitSiteResumes: j.exitSiteResumes,
  };
}

describe('block compiler: exit sites', () => {
  for (const paging of ['nested', 'shadow', 'direct'] as const) {
    for (const [name, toggle] of [
      ['CR4.PGE (flushes)', CR4_PGE],
      ['CR4.PSE (paging bit)', CR4_PSE],
      ['CR4.OSXMMEXCPT (quiet)', CR4_OSXMMEXCPT],
    ] as const) {
      it(`${paging}, toggling ${name}: compiled exits end as interpreted`, () => {
        const n = 300;
        const off = run(paging, false, toggle, n);
        const on = run(paging, true, toggle, n);
        const { exitSiteCalls: callsOff, exitSiteResumes: _r, ...restOff } = off;
        const { exitSiteCalls: callsOn, exitSiteResumes: resumes, ...restOn } = on;
        // A toggle that changes the translation regime (CR4.PSE: the hardware's under nested and
        // direct paging) or flushes the TLB (PGE under shadow paging, where the flush goes to the
        // passthrough tables) moves the epoch: the loop block re-checks its code page and goes on
        // (twice per iteration but where the loop re-enters) instead of returning to the run
        // loop. A PGE toggle with a clean TLB (nested, direct) changes no translation
        // (Cpu.programControl), nor does PSE with the guest's paging off under shadow paging (the
        // passthrough tables stay, ShadowPaging.reprogram): nothing to re-check.
        const moves = (toggle === CR4_PSE && paging !== 'shadow') || (toggle === CR4_PGE && paging === 'shadow');
        if (moves) expect(resumes).toBeGreaterThan(n);
        else expect(resumes).toBe(0);
        expect(restOn).toEqual(restOff);
        expect(callsOff).toBe(0);
        // Most of the 32-bit code's CR accesses (2 in the setup, 5 per iteration, the faulting
        // MOV) ran inside blocks.
        expect(callsOn).toBeGreaterThan(2 * n);
        expect(callsOn).toBeLessThanOrEqual(5 * n + 3);
        // Values computed apart from either run: EDX = n + ... + 1 + 3, EAX = CR3 + EDX before the
        // last dec, the #GP handler saw error code 0 and set EBP.
        const sum = (n * (n + 1)) / 2;
        expect(on.stop).toBe('halted');
        expect(on.ip).toBe(HLT + 1);
        expect(on.regs[2]).toBe((sum + 3).toString(16));
        expect(on.regs[0]).toBe((BigInt(`0x${on.guest.cr3}`) + BigInt(sum)).toString(16));
        expect(on.regs[3]).toBe('0');
        expect(on.regs[5]).toBe('1234');
        expect(on.regs[1]).toBe('0');
        expect(on.exits['mov-to-cr4']).toBe(2 * n + 1);
        expect(on.exits['clts']).toBe(n);
        expect(on.exits['mov-from-cr3']).toBe(n);
        // The faulting MOV did not complete: CR4 keeps its value, the #GP frame's EIP was the MOV.
        expect(on.guest.cr4).toBe(restOff.guest.cr4);
        expect(BigInt(`0x${on.guest.cr4}`) & 0x80000000n).toBe(0n);
        expect(BigInt(`0x${on.guest.cr0}`) & 8n).toBe(0n); // the last CR0 exit was CLTS
      });
    }
  }

  it('the #GP frame holds the faulting MOV CR4 (the block left before it retired)', () => {
    const on = run('nested', true, CR4_PGE, 10);
    // ESP after the handler popped the error code: EIP, CS, EFLAGS remain; EIP is at 0x9000 - 12.
    expect(on.regs[4]).toBe((0x9000 - 12).toString(16));
  });

  it('an exit the monitor resumes without advancing RIP runs again, compiled or not', () => {
    const n = 50;
    const off = run('nested', false, CR4_OSXMMEXCPT, n, true);
    const on = run('nested', true, CR4_OSXMMEXCPT, n, true);
    const { exitSiteCalls: _a, exitSiteResumes: _c, ...restOff } = off;
    const { exitSiteCalls: _b, exitSiteResumes: _d, ...restOn } = on;
    expect(restOn).toEqual(restOff);
    // Each MOV to CR4 exits twice (retried, then handled); the #GP one is retried first too.
    expect(on.exits['mov-to-cr4']).toBe(2 * (2 * n + 1));
    expect(on.regs[2]).toBe(((n * (n + 1)) / 2 + 3).toString(16));
    expect(on.stop).toBe('halted');
  });
});
