import type { SubgraphContextBase } from '@shutter/service';
import type { UsersClient } from '@shutter/contracts';
import type { SocialGraphDb } from './db/index.ts';
import { createCountsLoader, createViewerFlagLoader } from './follows.ts';

export interface SocialGraphContext extends SubgraphContextBase {
  db: SocialGraphDb;
  users: UsersClient;
  loaders: {
    counts: ReturnType<typeof createCountsLoader>;
    viewerIsFollowing: ReturnType<typeof createViewerFlagLoader>;
    followsViewer: ReturnType<typeof createViewerFlagLoader>;
  };
}

export function createSocialGraphContext(base: SubgraphContextBase, db: SocialGraphDb, users: UsersClient): SocialGraphContext {
  return {
    ...base,
    db,
    users,
    loaders: {
      counts: createCountsLoader(db),
      viewerIsFollowing: createViewerFlagLoader(db, base.viewerId, 'viewerIsFollowing'),
      followsViewer: createViewerFlagLoader(db, base.viewerId, 'followsViewer'),
    },
  };
}
