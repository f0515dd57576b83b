import { createHash, randomBytes } from 'node:crypto';

/**
 * Visitor tokens: 32 random bytes as base64url, given to the widget once (the `session` push)
 * and kept there; the database holds only their sha256, so a leaked table resumes no one.
 */
export function newVisitorToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashVisitorToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A token the widget may present: our own format only, so junk never reaches a query. */
export function isWellFormedToken(token: unknown): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token);
}
