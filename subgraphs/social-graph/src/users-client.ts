import { signedPostJson } from '@shutter/service';

/**
 * Asks the users subgraph, which owns accounts, whether users exist: one signed `_entities` call
 * for a whole batch. Synchronous on purpose: a follow must never point at a user who is not there,
 * and replicating every account into this service only to check that would be more to keep right.
 */
export class UsersClient {
  constructor(
    private readonly url: string,
    private readonly signingSecret: string,
  ) {}

  async existing(ids: string[], requestId?: string): Promise<Set<string>> {
    const result = await signedPostJson<{ data?: { _entities: ({ id: string } | null)[] }; errors?: unknown[] }>(
      this.url,
      this.signingSecret,
      {
        query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }',
        variables: { r: ids.map((id) => ({ __typename: 'User', id })) },
      },
      { requestId },
    );
    if (!result.data) throw new Error(`users subgraph answered errors: ${JSON.stringify(result.errors)}`);
    return new Set(result.data._entities.filter((e): e is { id: string } => e !== null).map((e) => e.id));
  }
}
