/**
 * The core (general-purpose) instruction handlers, keyed by iced-x86 Code / Mnemonic.
 */
import type { HandlerTable } from '../decoded.ts';
import { registerAlu } from './alu.ts';
import { registerBranch } from './branch.ts';
import { registerData } from './data.ts';
import { registerStack } from './stack.ts';
import { registerShift } from './shift.ts';
import { registerMulDiv } from './muldiv.ts';
import { registerBits } from './bits.ts';
import { registerString } from './string.ts';
import { registerBcd } from './bcd.ts';

export const coreHandlers: HandlerTable = { byCode: new Map(), byMnemonic: new Map() };
registerAlu(coreHandlers);
registerData(coreHandlers);
registerStack(coreHandlers);
registerBranch(coreHandlers);
registerShift(coreHandlers);
registerMulDiv(coreHandlers);
registerBits(coreHandlers);
registerString(coreHandlers);
registerBcd(coreHandlers);
