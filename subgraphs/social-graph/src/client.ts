import { signedPostJson } from '@shutter/service';

/** The internal endpoints, for the feed and the gateway (signed; never routed by the gateway). */
export const INTERNAL_PATHS = {
  followerIds: '/internal/follower-ids',
  followeeIds: '/internal/followee-ids',
  followedAmong: '/internal/followed-among',
} as const;

export interface IdsPage {
  ids: string[];
  nextCursor: string | null;
  /** The user's follower (or followee) count. */
  total: number;
}

/**
 * The client of social-graph's internal endpoints (signed like every call to a subgraph), for the
 * feed and the gateway. It lives here, beside the routes, and is exported on its own
 * (`@shutter/social-graph/client`) so that callers do not load the service.
 */
export class SocialGraphClient {
  constructor(
    private readonly graphqlUrl: string,
    private readonly signingSecret: string,
  ) {}

  private post<T>(path: string, body: unknown): Promise<T> {
    return signedPostJson<T>(new URL(path, this.graphqlUrl).href, this.signingSecret, body);
  }

  followerIds(userId: string, after: string | null, limit = 1000): Promise<IdsPage> {
    return this.post(INTERNAL_PATHS.followerIds, { userId, after, limit });
  }

  followeeIds(userId: string, after: string | null, limit = 1000): Promise<IdsPage> {
    return this.post(INTERNAL_PATHS.followeeIds, { userId, after, limit });
  }

  /** Every followee of a user, a page of 1,000 at a time. */
  async allFolloweeIds(userId: string): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const page: IdsPage = await this.followeeIds(userId, after);
      ids.push(...page.ids);
      after = page.nextCursor;
    } while (after);
    return ids;
  }

  /** Which of `followeeIds` the user follows now. */
  async followedAmong(followerId: string, followeeIds: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < followeeIds.length; i += 1000) {
      const { ids } = await this.post<{ ids: string[] }>(INTERNAL_PATHS.followedAmong, { followerId, followeeIds: followeeIds.slice(i, i + 1000) });
      for (const id of ids) found.add(id);
    }
    return found;
  }
}
