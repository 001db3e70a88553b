/**
 * SIMD instruction handlers (MMX, SSE .. SSE4.2, FXSAVE/XSAVE), keyed by iced-x86 Code / Mnemonic,
 * consulted by ../handlers.ts after the system and core tables of the same key kind. A group
 * file exports `register<Group>(t: HandlerTable)` and is added here with one line.
 *
 * API for group files (see each file's header):
 * - state.ts: `cpu.sse` = SseState, XMM0-15 as 16-byte slots of one buffer with u8/i8/u16/i16/
 *   u32/i32/f32/f64 views, scratch slots SLOT_MEM/SLOT_TMP/SLOT_MMD/SLOT_MMS/SLOT_AUX, `mxcsr`,
 *   Mxcsr bit names, MXCSR_MASK.
 * - avail.ts: sseAvail / mmxAvail / fxsrAvail / xsaveAvail (the #UD/#NM checks from the hardware
 *   CR0/CR4; call first, before touching an operand) and raiseSimdFp (#XM, or #UD when
 *   CR4.OSXMMEXCPT=0).
 * - operands.ts: xmmSrc128 / xmmSrc64 / xmmSrc32 / xmmSrc (source operand → slot number; memory
 *   is loaded into SLOT_MEM with the segment, alignment and page checks), storeM128 / storeM64 /
 *   storeM32, simdLinear, readLin128 / writeLin128.
 * - Decoded operands: `d.k0..k2` is OpK.Xmm (`r` = 0..15, REX applied), OpK.Mmx (`r` = 0..7),
 *   OpK.Mem, OpK.Gpr or OpK.Imm (`d.imm`); `d.s0..s2` the operand sizes (memory: the access size).
 */
import type { HandlerTable } from '../decoded.ts';
import { registerMove } from './mov.ts';
import { registerMovd } from './movd.ts';
import { registerIntArith } from './intarith.ts';
import { registerSsse3 } from './ssse3.ts';
import { registerShift } from './shift.ts';
import { registerShuffle } from './shuffle.ts';
import { registerInsExt } from './insext.ts';
import { registerMisc } from './misc.ts';
import { registerStrcmp } from './strcmp.ts';
import { registerFpArith } from './fparith.ts';
import { registerFpConvert } from './fpconvert.ts';
import { registerFxsave } from './fxsave.ts';
import { registerXsave } from './xsave.ts';

export const simdHandlers: HandlerTable = { byCode: new Map(), byMnemonic: new Map() };
registerMove(simdHandlers);
registerMovd(simdHandlers);
registerIntArith(simdHandlers);
registerSsse3(simdHandlers);
registerShift(simdHandlers);
registerShuffle(simdHandlers);
registerInsExt(simdHandlers);
registerMisc(simdHandlers);
registerStrcmp(simdHandlers);
registerFpArith(simdHandlers);
registerFpConvert(simdHandlers);
registerFxsave(simdHandlers);
registerXsave(simdHandlers);
