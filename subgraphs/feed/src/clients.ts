import { signedPostJson } from '@shutter/service';

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
