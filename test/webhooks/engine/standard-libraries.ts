import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import type { ReceivedRequest } from '../../support/receiver.js';

/** The receiver-side libraries of the Standard Webhooks ecosystem, used exactly as their READMEs show. */
export const libraries = ['standardwebhooks', 'svix'] as const;
export type Library = (typeof libraries)[number];

/**
 * What `library` says of `request` for a receiver holding `secret`: 'ok', or the library's error
 * message ('No matching signature found', 'Message timestamp too old', ...). `raw` passes the
 * secret with the libraries' `{ format: 'raw' }` option (an admin-typed secret's bytes).
 */
export function verifyWith(library: Library, secret: string | Buffer, request: Pick<ReceivedRequest, 'body' | 'headers'>, options: { raw?: boolean } = {}): string {
  const headers = Object.fromEntries(Object.entries(request.headers).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const format = options.raw ? ({ format: 'raw' } as const) : undefined;
  try {
    if (library === 'standardwebhooks') new StandardWebhook(secret, format).verify(request.body, headers);
    else new SvixWebhook(secret, format).verify(request.body, headers);
    return 'ok';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
