import { badUserInput, requireViewer } from '@shutter/service';
import { followedCelebrities } from './celebrities.ts';
import type { FeedDeps } from './deps.ts';

/**
 * The live-channels endpoint (packages/contracts): what a subscription to one of the feed's
 * Subscription fields listens on, for the viewer, and the Query field that resolves its events.
 */
export async function liveChannelsFor(deps: FeedDeps, field: string, viewerId: string | null, requestId: string) {
  const viewer = requireViewer(viewerId);
  switch (field) {
    case 'notificationAdded':
      return { channels: [deps.live.notifications(viewer)], hydrateWith: 'notification' };
    case 'feedPostAdded': {
      // Fanned-out posts arrive on the viewer's own channel (their own included, from their
      // timeline); a celebrity's on the celebrity's.
      const celebrities = (await followedCelebrities(deps, viewer, requestId)).filter((id) => id !== viewer);
      return { channels: [deps.live.feed(viewer), ...celebrities.map((id) => deps.live.celebrity(id))], hydrateWith: 'post' };
    }
    default:
      throw badUserInput(`The feed serves no subscription field ${field}.`, 'field');
  }
}
