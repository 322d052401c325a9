import { v7 as uuidv7 } from 'uuid';

/** New row ids: UUIDv7, time-ordered so that inserts stay at the right edge of the index. */
export const newId = (): string => uuidv7();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are opaque to clients; one that is not a UUID cannot name anything, so it is simply not found. */
export const isId = (value: string): boolean => UUID.test(value);
