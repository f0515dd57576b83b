import type { WebhookRecord } from '../db/webhook-store.js';
import type { NewWebhook, WebhookColumns } from '../db/webhook-admin.js';
import type { WebhookCreateInput, WebhookUpdateInput } from './schemas.js';

/**
 * Validated API input turned into the columns to write: pure, so the rules (format defaults,
 * secret removal, what re-enabling resets) are tested without a database.
 */

export interface ChangeTools {
  /** json / slack / discord from the URL's host and path. */
  detectFormat(url: string): WebhookColumns['format'];
  /** Seals a plaintext secret for storage. */
  encrypt(secret: string): string;
}

export function planWebhookCreate(input: WebhookCreateInput, tools: ChangeTools): NewWebhook {
  return {
    name: input.name,
    url: input.url,
    events: input.events,
    secret_encrypted: input.secret ? tools.encrypt(input.secret) : null,
    is_active: input.is_active ?? true,
    format: input.format ?? tools.detectFormat(input.url),
  };
}

export interface UpdatePlan {
  changes: Partial<WebhookColumns>;
  /** True when a disabled webhook becomes active: its held retries may go out now. */
  reEnabled: boolean;
}

/**
 * - A new URL without a format re-detects it, unless the admin had chosen a format other than
 *   the one detected for the old URL (their choice stands).
 * - `secret: null` removes the secret; an omitted secret keeps it.
 * - Re-enabling clears the server's disable reason and the failure streak, so the health rule
 *   does not disable it again at once.
 */
export function planWebhookUpdate(current: WebhookRecord, input: WebhookUpdateInput, tools: ChangeTools): UpdatePlan {
  const changes: Partial<WebhookColumns> = {};
  if (input.name !== undefined) changes.name = input.name;
  if (input.events !== undefined) changes.events = input.events;
  if (input.url !== undefined) changes.url = input.url;
  if (input.format !== undefined) {
    changes.format = input.format;
  } else if (input.url !== undefined && input.url !== current.url && current.format === tools.detectFormat(current.url)) {
    changes.format = tools.detectFormat(input.url);
  }
  if (input.secret === null) changes.secret_encrypted = null;
  else if (input.secret !== undefined) changes.secret_encrypted = tools.encrypt(input.secret);

  let reEnabled = false;
  if (input.is_active === false) {
    changes.is_active = false;
  } else if (input.is_active === true) {
    changes.is_active = true;
    if (!current.is_active || current.disabled_reason !== null) {
      reEnabled = true;
      Object.assign(changes, { disabled_reason: null, disabled_at: null, consecutive_failures: 0, failing_since: null });
    }
  }
  return { changes, reEnabled };
}
