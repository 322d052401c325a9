import type { PushEndpointPolicy } from './push-devices.ts';
import type { SubgraphContextBase } from '@shutter/service';
import type { UsersDb } from './db/index.ts';
import type { Accounts } from './auth.ts';
import { createUserLoader, type UserLoader } from './users.ts';

export interface UsersContext extends SubgraphContextBase {
  db: UsersDb;
  accounts: Accounts;
  loaders: { userById: UserLoader };
  pushEndpoints: PushEndpointPolicy;
  /** VAPID_PUBLIC_KEY, for browsers subscribing to Web Push; null when Web Push is off. */
  webPushPublicKey: string | null;
}

export function createUsersContext(
  base: SubgraphContextBase,
  db: UsersDb,
  accounts: Accounts,
  pushEndpoints: PushEndpointPolicy,
  webPushPublicKey: string | null,
): UsersContext {
  return { ...base, db, accounts, loaders: { userById: createUserLoader(db) }, pushEndpoints, webPushPublicKey };
}
