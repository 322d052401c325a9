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
}

export function createUsersContext(base: SubgraphContextBase, db: UsersDb, accounts: Accounts, pushEndpoints: PushEndpointPolicy): UsersContext {
  return { ...base, db, accounts, loaders: { userById: createUserLoader(db) }, pushEndpoints };
}
