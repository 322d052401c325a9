import { z } from 'zod';
import { callEndpoint, defineEndpoint, type CallOptions, type EndpointResponse, type ServiceAddress } from './endpoint.ts';
import { id, idList, MAX_IDS_PER_CALL } from './ids.ts';

/**
 * social-graph's internal API: the follow lists as ids, for the feed's fan-out (followers of an
 * author) and timeline rebuilds (followees of a reader), and edge checks.
 */
const idsPageRequest = z.object({
  userId: id,
  /** The previous page's nextCursor; absent or null for the first page. */
  after: z.string().max(512).nullish(),
  limit: z.number().int().min(1).max(MAX_IDS_PER_CALL).default(MAX_IDS_PER_CALL),
});
const idsPage = z.object({
  ids: idList,
  nextCursor: z.string().nullable(),
  /** The user's follower (or followee) count: the fan-out tells a celebrity from the first page. */
  total: z.number().int().min(0),
});

export const followerIdsEndpoint = defineEndpoint({ path: '/internal/follower-ids', request: idsPageRequest, response: idsPage });
export const followeeIdsEndpoint = defineEndpoint({ path: '/internal/followee-ids', request: idsPageRequest, response: idsPage });
export const followedAmongEndpoint = defineEndpoint({
  path: '/internal/followed-among',
  request: z.object({ followerId: id, followeeIds: idList }),
  /** Those of followeeIds that followerId follows now. */
  response: z.object({ ids: idList }),
});

export type IdsPage = EndpointResponse<typeof followerIdsEndpoint>;

/** The typed client of social-graph's internal API. */
export class SocialGraphClient {
  constructor(private readonly service: ServiceAddress) {}

  followerIds(userId: string, after: string | null, limit = MAX_IDS_PER_CALL, options?: CallOptions): Promise<IdsPage> {
    return callEndpoint(this.service, followerIdsEndpoint, { userId, after, limit }, options);
  }

  followeeIds(userId: string, after: string | null, limit = MAX_IDS_PER_CALL, options?: CallOptions): Promise<IdsPage> {
    return callEndpoint(this.service, followeeIdsEndpoint, { userId, after, limit }, options);
  }

  /** Every followee of a user, a page at a time. */
  async allFolloweeIds(userId: string, options?: CallOptions): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const page: IdsPage = await this.followeeIds(userId, after, MAX_IDS_PER_CALL, options);
      ids.push(...page.ids);
      after = page.nextCursor;
    } while (after);
    return ids;
  }

  /** Which of `followeeIds` the user follows now (any number: asked a page at a time). */
  async followedAmong(followerId: string, followeeIds: string[], options?: CallOptions): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < followeeIds.length; i += MAX_IDS_PER_CALL) {
      const { ids } = await callEndpoint(this.service, followedAmongEndpoint, { followerId, followeeIds: followeeIds.slice(i, i + MAX_IDS_PER_CALL) }, options);
      for (const followee of ids) found.add(followee);
    }
    return found;
  }
}
