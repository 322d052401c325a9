import { z } from 'zod';

/** Every id between services is a UUID (v7 when made by us). */
export const id = z.uuid();

/** The most ids one internal call takes or gives: a page, so that no call grows without bound. */
export const MAX_IDS_PER_CALL = 1000;

export const idList = z.array(id).max(MAX_IDS_PER_CALL);
