import { DateTimeScalar } from '@shutter/service';
import type { Resolvers } from '../generated/resolvers-types.ts';
import { Mutation } from './mutation.ts';
import { Query } from './query.ts';
import { User } from './user.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, User };
