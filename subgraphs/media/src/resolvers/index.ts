import { DateTimeScalar } from '@shutter/service';
import type { Resolvers } from '../generated/resolvers-types.ts';
import { Comment, Image, Post, User } from './types.ts';
import { Mutation } from './mutation.ts';
import { Query } from './query.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Post, Comment, Image, User };
