import type { PagingStrategy } from '../paging.ts';
import { DirectPaging } from './direct.ts';
import type { PagingDeps } from './monitor-memory.ts';
import { NestedPaging } from './nested.ts';
import { ShadowPaging } from './shadow.ts';

export type { MonitorMemory, PagingDeps } from './monitor-memory.ts';
export { ShadowPaging } from './shadow.ts';
export { NestedPaging } from './nested.ts';
export { DirectPaging } from './direct.ts';

export type PagingStrategyName = PagingStrategy['name'];

/** The `--paging` option: build the strategy by name. */
export function createPagingStrategy(name: PagingStrategyName, deps: PagingDeps): PagingStrategy {
  switch (name) {
    case 'shadow':
      return new ShadowPaging(deps);
    case 'nested':
      return new NestedPaging(deps);
    case 'direct':
      return new DirectPaging();
  }
}
