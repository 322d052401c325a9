import { randomUUID } from 'node:crypto';
import { signRequest } from '@shutter/auth';
import { appError } from '@shutter/service';

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

  async existing(ids: string[], requestId: string = randomUUID()): Promise<Set<string>> {
    const body = JSON.stringify({
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }',
      variables: { r: ids.map((id) => ({ __typename: 'User', id })) },
    });
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signRequest(this.signingSecret, { viewerId: null, requestId, body }) },
        body,
        signal: AbortSignal.timeout(5000),
      });
    } catch (cause) {
      throw appError('INTERNAL_SERVER_ERROR', 'The users service could not be reached.', { cause: String(cause) });
    }
    const result = (await response.json()) as { data?: { _entities: ({ id: string } | null)[] }; errors?: unknown[] };
    if (!response.ok || !result.data) throw new Error(`users subgraph answered ${response.status}: ${JSON.stringify(result.errors)}`);
    return new Set(result.data._entities.filter((e): e is { id: string } => e !== null).map((e) => e.id));
  }
}
