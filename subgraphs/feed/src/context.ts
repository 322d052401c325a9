import type { SubgraphContextBase } from '@shutter/service';
import type { FeedDeps } from './deps.ts';

export interface FeedContext extends SubgraphContextBase {
  feed: FeedDeps;
}

export const createFeedContext = (base: SubgraphContextBase, feed: FeedDeps): FeedContext => ({ ...base, feed });
