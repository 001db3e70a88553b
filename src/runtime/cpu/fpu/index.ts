/**
 * The x87 instruction handlers, keyed by iced-x86 Mnemonic (handlers.ts consults them after the
 * core table). Arithmetic lives in f80.ts/arith.ts/conv.ts/compare.ts/transcendental.ts; the
 * handlers in ops-*.ts decode operands, call it, and commit through exec.ts.
 */
import type { HandlerTable } from '../decoded.ts';
import { registerMove } from './ops-move.ts';
import { registerArith } from './ops-arith.ts';
import { registerControl } from './ops-control.ts';
import { registerTranscendental } from './ops-trans.ts';

export const fpuHandlers: HandlerTable = { byCode: new Map(), byMnemonic: new Map() };
registerMove(fpuHandlers);
registerArith(fpuHandlers);
registerControl(fpuHandlers);
registerTranscendental(fpuHandlers);
