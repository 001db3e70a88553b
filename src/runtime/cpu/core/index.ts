/**
 * The core (general-purpose) instruction handlers, keyed by iced-x86 Code / Mnemonic.
 */
import type { HandlerTable } from '../decoded.ts';

export const coreHandlers: HandlerTable = { byCode: new Map(), byMnemonic: new Map() };
