import { requireViewer, unauthenticated } from '@shutter/service';
import type { MutationResolvers } from '../generated/resolvers-types.ts';
import { registerPushDevice, unregisterPushDevice } from '../push-devices.ts';
import { updateProfile } from '../users.ts';

export const Mutation: MutationResolvers = {
  signUp: (_, { input }, { accounts }) => accounts.signUp(input),
  logIn: (_, { input }, { accounts }) => accounts.logIn(input),
  refreshSession: (_, { refreshToken }, { accounts }) => accounts.refresh(refreshToken),
  logOut: (_, { refreshToken }, { accounts }) => accounts.logOut(refreshToken),

  updateProfile: async (_, { input }, context) => {
    const user = await updateProfile(context.db, requireViewer(context.viewerId), input);
    // A valid token for an account that is gone.
    if (!user) throw unauthenticated('Your account no longer exists.');
    return user;
  },

  registerPushDevice: (_, { input }, context) =>
    registerPushDevice(context.db, requireViewer(context.viewerId), input.platform, input.token, context.pushEndpoints),
  unregisterPushDevice: (_, { id }, context) => unregisterPushDevice(context.db, requireViewer(context.viewerId), id),
};
