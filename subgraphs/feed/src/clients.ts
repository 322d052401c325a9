import { signedPostJson } from '@shutter/service';

interface IdsPage {
  ids: string[];
  nextCursor: string | null;
  /** The user's follower (or followee) count. */
  total: number;
}

/** social-graph's internal endpoints (signed), next to its GraphQL endpoint. */
export class SocialGraphClient {
  constructor(
    private readonly graphqlUrl: string,
    private readonly signingSecret: string,
  ) {}

  private post<T>(path: string, body: unknown): Promise<T> {
    return signedPostJson<T>(new URL(path, this.graphqlUrl).href, this.signingSecret, body);
  }

  followerIds(userId: string, after: string | null, limit = 1000): Promise<IdsPage> {
    return this.post('/internal/follower-ids', { userId, after, limit });
  }

  followeeIds(userId: string, after: string | null, limit = 1000): Promise<IdsPage> {
    return this.post('/internal/followee-ids', { userId, after, limit });
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
      const { ids } = await this.post<{ ids: string[] }>('/internal/followed-among', { followerId, followeeIds: followeeIds.slice(i, i + 1000) });
      for (const id of ids) found.add(id);
    }
    return found;
  }
}

/** Asks media which posts the viewer can still see: a deleted one never shows, whatever Redis holds. */
export class MediaClient {
  constructor(
    private readonly graphqlUrl: string,
    private readonly signingSecret: string,
  ) {}

  async visiblePostIds(postIds: string[], viewerId: string, requestId?: string): Promise<Set<string>> {
    if (postIds.length === 0) return new Set();
    const result = await signedPostJson<{ data?: { _entities: ({ id: string } | null)[] }; errors?: unknown[] }>(
      this.graphqlUrl,
      this.signingSecret,
      {
        query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Post { id } } }',
        variables: { r: postIds.map((id) => ({ __typename: 'Post', id })) },
      },
      { viewerId, requestId },
    );
    // Any error, even beside data: a null that comes from a failure must not read as "deleted",
    // or the post would be dropped from the timeline for good.
    if (!result.data || result.errors?.length) throw new Error(`media answered errors: ${JSON.stringify(result.errors)}`);
    return new Set(result.data._entities.filter((e): e is { id: string } => e !== null).map((e) => e.id));
  }
}
