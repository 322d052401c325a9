import { badUserInput } from '@shutter/service';

/** Input limits from the public contract, enforced where the data enters. */
export const LIMITS = {
  username: { min: 3, max: 30, pattern: /^[a-z0-9._]+$/ },
  password: { min: 8, max: 200 },
  email: { max: 254 },
  displayName: { max: 64 },
  bio: { max: 300 },
  searchQuery: { max: 100 },
} as const;

/** Length in characters as people count them (code points), not UTF-16 units. */
export const charLength = (text: string): number => [...text].length;

export function parseUsername(raw: string): string {
  const username = raw.trim().toLowerCase();
  const { min, max, pattern } = LIMITS.username;
  if (username.length < min || username.length > max || !pattern.test(username)) {
    throw badUserInput(`A username is ${min} to ${max} characters of a-z, 0-9, "." and "_".`, 'username');
  }
  return username;
}

// Deliberately loose: one "@", something on each side, a dot in the domain. The only real check of
// an address is mail that arrives.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function parseEmail(raw: string): string {
  const email = raw.trim();
  if (email.length > LIMITS.email.max || !EMAIL.test(email)) throw badUserInput('That is not a valid email address.', 'email');
  return email;
}

export function checkPassword(password: string): string {
  const length = charLength(password);
  if (length < LIMITS.password.min || length > LIMITS.password.max) {
    throw badUserInput(`A password is ${LIMITS.password.min} to ${LIMITS.password.max} characters.`, 'password');
  }
  return password;
}

/** Optional free text: trimmed; empty means none; too long is an error. */
export function parseOptionalText(raw: string | null | undefined, field: 'displayName' | 'bio'): string | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === null) return null;
  const text = raw.trim();
  if (text.length === 0) return null;
  const max = LIMITS[field].max;
  if (charLength(text) > max) throw badUserInput(`${field} is at most ${max} characters.`, field);
  return text;
}
