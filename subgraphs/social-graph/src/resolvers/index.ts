import type { Resolvers } from '../generated/resolvers-types.ts';
import { Mutation } from './mutation.ts';
import { User } from './user.ts';

export const resolvers: Resolvers = { Mutation, User };
