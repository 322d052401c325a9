import { z } from 'zod';
import { callEndpoint, defineEndpoint, type CallOptions, type ServiceAddress } from './endpoint.ts';
import { idList, MAX_IDS_PER_CALL } from './ids.ts';

/** users' internal API: which accounts exist (social-graph checks before it makes an edge). */
export const existingUsersEndpoint = defineEndpoint({
  path: '/internal/existing-users',
  request: z.object({ ids: idList }),
  /** Those of the ids that name an account. */
  response: z.object({ ids: idList }),
});

export class UsersClient {
  constructor(private readonly service: ServiceAddress) {}

  async existing(ids: string[], options?: CallOptions): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_CALL) {
      const page = await callEndpoint(this.service, existingUsersEndpoint, { ids: ids.slice(i, i + MAX_IDS_PER_CALL) }, options);
      for (const userId of page.ids) found.add(userId);
    }
    return found;
  }
}
