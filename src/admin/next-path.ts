/** Where to go after signing in when no safe `next` was given. */
export const DEFAULT_ADMIN_PATH = '/admin/conversations';

/**
 * `next` if it is a path of this admin console, else the default: never another host
 * (`//evil.example`, `/\evil.example`), never the sign-in page itself.
 */
export function safeNextPath(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.includes('\\') || next.length > 2000) return DEFAULT_ADMIN_PATH;
  let url: URL;
  try {
    url = new URL(next, 'http://admin.invalid');
  } catch {
    return DEFAULT_ADMIN_PATH;
  }
  if (url.host !== 'admin.invalid' || !/^\/admin(\/|$)/.test(url.pathname) || /^\/admin\/(login|logout)\b/.test(url.pathname)) {
    return DEFAULT_ADMIN_PATH;
  }
  return url.pathname + url.search;
}
