import type { Translator } from '../mmu/types.ts';

/** Linear = physical translator for hardware paging off and no nested paging (tests, early boot). */
export const identityTranslator: Translator = {
  translate: (linear: number) => linear,
  flush: () => undefined,
};
