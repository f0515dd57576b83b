/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

/** A paginated list's `meta` (SPEC §8). */
export interface PaginationMeta {
  current_page: number;
  last_page: number;
  per_page: number;
  total: number;
}

/** An API call that failed: HTTP status (0 for a network failure), message and 422 field errors. */
export class ApiError extends Error {
  readonly code = 'ERR_ADMIN_API';
  constructor(
    readonly status: number,
    message: string,
    readonly errors: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

export interface ApiResult<T> {
  data: T;
  meta?: PaginationMeta;
  message: string;
}

/**
 * The session's CSRF token: from an element's `data-csrf-token` (a plugin's page, whatever the
 * host's layout) or else the page's `<meta name="csrf-token">` (this project's admin layout).
 */
export function csrfToken(): string {
  return (
    document.querySelector<HTMLElement>('[data-csrf-token]')?.dataset.csrfToken ??
    document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ??
    ''
  );
}

/**
 * The session ended: reload, so the host's admin guard sends the browser to its own sign-in page
 * (and back here afterwards). No sign-in URL is assumed: the page may live in another host's admin.
 */
export function signInAgain(): never {
  location.reload();
  throw new ApiError(401, 'Your session has expired. Sign in again.');
}

/**
 * Calls `/api/v1<path>` with the session cookie and the CSRF token. Resolves to the body's
 * `data` (and `meta`); rejects with ApiError. A 401 means the session ended: go sign in.
 */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json',
        'X-CSRF-Token': csrfToken(),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, `The server could not be reached (${err instanceof Error ? err.message : String(err)}).`);
  }
  if (res.status === 401) signInAgain();
  if (res.status === 204) return { data: null as T, message: '' };
  let json: { success?: boolean; data?: T; meta?: PaginationMeta; message?: string; errors?: Record<string, string[]> };
  try {
    json = (await res.json()) as typeof json;
  } catch {
    throw new ApiError(res.status, `Unexpected response from the server (HTTP ${res.status}).`);
  }
  if (!res.ok || json.success === false) {
    throw new ApiError(res.status, json.message || `Request failed (HTTP ${res.status}).`, json.errors ?? {});
  }
  return { data: json.data as T, meta: json.meta, message: json.message ?? '' };
}
