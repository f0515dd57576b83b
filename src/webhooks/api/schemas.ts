import { z } from 'zod';
import { eventCatalog, type EventName } from '../../events.js';

/**
 * The REST API's zod schemas: the handlers validate with them and the OpenAPI document is
 * generated from them, so the two cannot drift. `.meta({ id })` names the shared components.
 */

export const webhookFormats = ['json', 'slack', 'discord'] as const;
export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export const eventNames = Object.keys(eventCatalog) as [EventName, ...EventName[]];

/** Generated secrets: `whsec_` + 64 lowercase hex (256 bits). */
export const SECRET_PATTERN = /^whsec_[0-9a-f]{64}$/;
export const PER_PAGE_DEFAULT = 25;
export const PER_PAGE_MAX = 100;

const required = (what: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`);

const name = z
  .string({ error: required('a string') })
  .trim()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .describe('Shown in the admin console, 1 to 255 characters.');

const url = z
  .string({ error: required('a string') })
  .trim()
  .min(1, 'must not be empty')
  .max(2048, 'must be at most 2048 characters')
  .describe(
    'Absolute https:// URL (http:// only with WEBHOOK_ALLOW_HTTP), at most 2048 characters, without credentials; ' +
      'private, loopback, link-local and metadata hosts are refused unless listed in WEBHOOK_ALLOWED_HOSTS.',
  );

/** A short, safe description of a bad value for a message: never echoes a huge or deeply nested input. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

const events = z
  .array(
    z.enum(eventNames, { error: (issue) => `unknown event ${describeValue(issue.input)} (expected one of ${eventNames.join(', ')})` }),
    { error: required('an array of event names') },
  )
  .min(1, 'must name at least one event')
  .transform((list) => [...new Set(list)])
  .describe('A non-empty subset of the event catalog (GET /webhooks/events). Duplicates are dropped.');

// An empty form field means "no secret" rather than a too-short one.
const secret = z
  .preprocess(
    (value) => (value === '' ? undefined : value),
    z.string({ error: 'must be a string' }).min(8, 'must be at least 8 characters').max(255, 'must be at most 255 characters').nullable().optional(),
  )
  .describe('Signing secret, 8 to 255 characters. Omitted, empty or null: requests are not signed. On update, null removes it.');

const isActive = z.boolean({ error: 'must be true or false' }).describe('Disabled webhooks get no new deliveries; their pending retries are held.');

const format = z
  .enum(webhookFormats, { error: `must be one of ${webhookFormats.join(', ')}` })
  .describe('Body format. Default: slack for Slack incoming-webhook URLs, discord for Discord webhook URLs, else json.');

export const webhookCreateSchema = z
  .object({ name, url, events, secret, is_active: isActive.optional(), format: format.optional() })
  .meta({ id: 'WebhookCreate', description: 'Unknown fields are ignored.' });
export type WebhookCreateInput = z.output<typeof webhookCreateSchema>;

export const webhookUpdateSchema = z
  .object({
    name: name.optional(),
    url: url.optional(),
    events: events.optional(),
    secret,
    is_active: isActive.optional(),
    format: format.optional(),
  })
  .meta({ id: 'WebhookUpdate', description: 'Partial update: only the fields given change. Unknown fields are ignored.' });
export type WebhookUpdateInput = z.output<typeof webhookUpdateSchema>;

const positiveInt = (what: string) =>
  z.coerce.number({ error: `${what} must be a positive integer` }).int(`${what} must be a positive integer`).min(1, `${what} must be a positive integer`);

export const deliveryListQuerySchema = z.object({
  page: positiveInt('page').default(1).describe('1-based page number; a page past the end is empty.'),
  per_page: positiveInt('per_page')
    .transform((n) => Math.min(n, PER_PAGE_MAX))
    .default(PER_PAGE_DEFAULT)
    .describe(`Rows per page, default ${PER_PAGE_DEFAULT}; values above ${PER_PAGE_MAX} are treated as ${PER_PAGE_MAX}.`),
  status: z.enum(deliveryStatuses, { error: `must be one of ${deliveryStatuses.join(', ')}` }).optional().describe('Only deliveries in this status.'),
  event: z
    .enum(eventNames, { error: `must be one of ${eventNames.join(', ')}` })
    .optional()
    .describe('Only deliveries of this event (a name of the event catalog; webhook.test for Test presses).'),
});
export type DeliveryListQuery = z.output<typeof deliveryListQuerySchema>;

const isoDateTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone, e.g. 2024-05-01T00:00:00Z' });

export const recoverSchema = z
  .object({
    since: isoDateTime.describe('Start of the window (inclusive), by creation time of the delivery.'),
    until: isoDateTime.optional().describe('End of the window (inclusive); default: now.'),
  })
  // Zod runs this even when a date failed its own check; NaN then compares false and adds nothing.
  .refine((w) => w.until === undefined || !(Date.parse(w.since) > Date.parse(w.until)), { message: 'must not be after until', path: ['since'] })
  .meta({ id: 'RecoverRequest' });
export type RecoverInput = z.output<typeof recoverSchema>;

/** The longest rotation overlap regenerate-secret accepts: one week. */
export const MAX_OLD_SECRET_SECONDS = 604_800;
const overlapMessage = `must be a whole number of seconds from 0 to ${MAX_OLD_SECRET_SECONDS}`;

export const regenerateSecretSchema = z
  .object({
    old_secret_valid_for_seconds: z
      .number({ error: overlapMessage })
      .int(overlapMessage)
      .min(0, overlapMessage)
      .max(MAX_OLD_SECRET_SECONDS, overlapMessage)
      .default(0)
      .describe(
        'How long the replaced secret keeps signing `webhook-signature` beside the new one, so receivers can switch without ' +
          'losing a delivery. 0 (the default): it stops at once. X-Webhook-Signature uses the new secret only.',
      ),
  })
  .meta({ id: 'RegenerateSecretRequest', description: 'Optional: an empty body is the default. Unknown fields are ignored.' });
export type RegenerateSecretInput = z.output<typeof regenerateSecretSchema>;

/** Path parameters. A malformed id is an unknown one: the route answers 404 with the message here. */
export const webhookIdParams = z.object({
  id: z.string().regex(/^[1-9]\d{0,9}$/, 'Webhook not found').describe('Webhook id (integer).'),
});
export const deliveryParams = webhookIdParams.extend({
  deliveryId: z
    .string()
    .regex(/^([0-9a-fA-F-]{36}|[1-9]\d{0,15})$/, 'Delivery not found')
    .describe('The delivery_id (UUID); the numeric row id is accepted too.'),
});

// ---- responses ----

const isoTime = z.string().describe('ISO 8601 UTC time');

export const lastDeliverySchema = z
  .object({ status: z.enum(deliveryStatuses), at: isoTime })
  .nullable()
  .describe('Status of the newest delivery other than a test, and when it last changed; null before the first one.');

export const webhookSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    url: z.string(),
    events: z.array(z.enum(eventNames)),
    is_active: z.boolean(),
    format: z.enum(webhookFormats),
    has_secret: z.boolean().describe('The secret itself is only ever shown by create and regenerate-secret.'),
    disabled_reason: z.string().nullable().describe('Why the server disabled this webhook itself (410 Gone, repeated failures).'),
    disabled_at: isoTime.nullable(),
    consecutive_failures: z.number().int().describe('Deliveries that failed for good since the last successful attempt (tests left out).'),
    failing_since: isoTime.nullable().describe('When the first failed attempt after the last successful one happened; null while it succeeds.'),
    last_delivery: lastDeliverySchema,
    created_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: 'Webhook' });
export type WebhookView = z.infer<typeof webhookSchema>;

export const webhookListItemSchema = webhookSchema
  .extend({
    delivery_logs_count: z.number().int().describe('Delivery rows kept for this webhook, tests included.'),
    last_24h: z
      .object({ attempts: z.number().int(), succeeded: z.number().int().describe('Attempts a 2xx answered.') })
      .describe('Attempts of the current hour and the 23 before it (the stats route\'s default window), tests left out.'),
  })
  .meta({ id: 'WebhookListItem' });
export type WebhookListItemView = z.infer<typeof webhookListItemSchema>;

export const webhookWithSecretSchema = webhookSchema
  .extend({ secret: z.string().describe('Shown this once: store it now.') })
  .meta({ id: 'WebhookWithSecret' });

export const deliverySchema = z
  .object({
    // The seed's fields (SPEC §8), which clients written from its documentation read.
    id: z.number().int().describe('Numeric id of this log entry; accepted wherever a deliveryId is.'),
    delivery_id: z.uuid().describe('The envelope\'s delivery_id and the webhook-id header: the same on every attempt.'),
    event_type: z.string().describe('The event delivered (a name of the event catalog).'),
    attempt_number: z.number().int().describe('Attempts made so far (0 until the first one ends).'),
    response_status_code: z.number().int().nullable().describe('HTTP status of the newest attempt; null before it or when none came back.'),
    response_body: z.string().nullable().describe('Body of the newest attempt\'s response, at most 64 KiB as stored; null before it or when none came back.'),
    status: z.enum(deliveryStatuses),
    delivered_at: isoTime.nullable(),
    created_at: isoTime,
    // More than the seed's.
    event: z.string().describe('Same as event_type.'),
    is_test: z.boolean().describe('Sent by the Test action.'),
    next_attempt_at: isoTime.nullable().describe('When a pending delivery is next due; null once delivered or failed.'),
    last_status_code: z.number().int().nullable().describe('Same as response_status_code.'),
    last_error: z.string().nullable().describe('Why the newest attempt failed; null when it succeeded.'),
    updated_at: isoTime,
  })
  .meta({ id: 'Delivery', description: 'One entry of a webhook\'s delivery log: one event to one webhook, with every attempt at it summed up.' });
export type DeliveryView = z.infer<typeof deliverySchema>;

export const attemptSchema = z
  .object({
    attempt_number: z.number().int(),
    request_headers: z.record(z.string(), z.string()),
    response_status: z.number().int().nullable(),
    response_body: z.string().nullable().describe('At most 64 KiB of the response body.'),
    duration_ms: z.number().int(),
    error: z.string().nullable(),
    cause: z.string().describe('ok, auth, not_found, bad_payload, rate_limited, server_error, timeout, dns, tls, connection, blocked_address, redirect, gone, client_error, invalid_response'),
    created_at: isoTime,
  })
  .meta({ id: 'DeliveryAttempt' });
export type AttemptView = z.infer<typeof attemptSchema>;

export const deliveryDetailSchema = deliverySchema
  .extend({
    body: z.string().describe('The exact bytes POSTed on every attempt.'),
    attempts: z.array(attemptSchema).describe('Oldest first.'),
  })
  .meta({ id: 'DeliveryDetail' });
export type DeliveryDetailView = z.infer<typeof deliveryDetailSchema>;

export const attemptResultSchema = z
  .object({
    delivery_id: z.uuid(),
    attempt_number: z.number().int(),
    success: z.boolean(),
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int(),
    error: z.string().nullable(),
    cause: z.string(),
  })
  .meta({ id: 'TestAttempt' });

export const eventInfoSchema = z
  .object({
    event: z.enum(eventNames).describe('The event name, as in the envelope and X-Webhook-Event.'),
    description: z.string(),
    name: z.enum(eventNames).describe('Same as event.'),
    subscribable: z.boolean().describe('False for webhook.test, which only the Test action sends.'),
    data_schema: z.record(z.string(), z.unknown()).describe('JSON Schema of the envelope `data`.'),
  })
  .meta({ id: 'EventInfo' });

export const recoverResultSchema = z
  .object({ count: z.number().int().describe('Failed deliveries queued again.') })
  .meta({ id: 'RecoverResult' });

export const redeliverResultSchema = deliverySchema;

export const paginationMetaSchema = z
  .object({ current_page: z.number().int(), last_page: z.number().int(), per_page: z.number().int(), total: z.number().int() })
  .meta({ id: 'PaginationMeta' });
export type PaginationMeta = z.infer<typeof paginationMetaSchema>;

export const errorBodySchema = z
  .object({ success: z.literal(false), data: z.null(), message: z.string() })
  .meta({ id: 'Error' });

export const validationErrorBodySchema = z
  .object({ success: z.literal(false), message: z.string(), errors: z.record(z.string(), z.array(z.string())) })
  .meta({ id: 'ValidationError' });

/** `{ success: true, data, message }`, plus `meta` on paginated lists. */
export function successBody<T extends z.ZodType>(data: T, paginated = false) {
  const base = z.object({ success: z.literal(true), data, message: z.string() });
  return paginated ? base.extend({ meta: paginationMetaSchema }) : base;
}
