import { z } from 'zod';
import { cleanText, describePath, NUL_MESSAGE } from '../text.js';

/**
 * zod schemas of every client payload (SPEC §3, §4). All are strict: an unknown key, a wrong
 * type or an oversized string is `invalid_input`, never a silent default.
 */

/** Optional contact detail: trimmed, an empty string or null means "not given". */
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .nullish()
    .transform((v) => (v ? v : undefined));

const content = z
  .string()
  .min(1)
  .max(5000)
  .refine((s) => s.trim().length > 0, { message: 'must not be blank' });

// Only web pages: the URL ends up as a link in Slack and the console, so no javascript: or data:.
const pageUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .nullish()
  .transform((v) => v ?? undefined);

// Chosen by the client, compared byte for byte: a resend under the same id is answered with the original.
const clientMessageId = z.string().min(1).max(64).optional();

const id = z.int().positive().max(2_147_483_647);

export const widgetSchemas = {
  'conversation:start': z.strictObject({
    name: optionalText(255),
    email: z
      .email()
      .max(255)
      .nullish()
      .or(z.literal(''))
      .transform((v) => v || undefined),
    phone: optionalText(64),
    current_url: pageUrl,
  }),
  'message:send': z.strictObject({ content, current_url: pageUrl, client_message_id: clientMessageId }),
  typing: z.strictObject({ is_typing: z.boolean() }),
  'conversation:close': z.strictObject({}),
};

export const agentSchemas = {
  'conversations:list': z.strictObject({ status: z.enum(['open', 'closed']).optional() }),
  'conversation:messages': z.strictObject({
    conversation_id: id,
    /** Page backwards: only messages older than this id. */
    before_id: id.optional(),
    limit: z.int().min(1).max(500).optional(),
  }),
  'message:send': z.strictObject({
    conversation_id: id,
    content,
    admin_name: z.string().trim().min(1).max(255).optional(),
  }),
  'conversation:close': z.strictObject({ conversation_id: id }),
  'conversations:search': z.strictObject({ query: z.string().trim().min(2, 'at least 2 characters').max(200) }),
  'visitor:history': z.strictObject({ conversation_id: id }),
  typing: z.strictObject({ conversation_id: id, is_typing: z.boolean(), admin_name: z.string().trim().min(1).max(255).optional() }),
};

export type WidgetPayload<E extends keyof typeof widgetSchemas> = z.output<(typeof widgetSchemas)[E]>;
export type AgentPayload<E extends keyof typeof agentSchemas> = z.output<(typeof agentSchemas)[E]>;

/** One line naming each bad field, e.g. `content: Too big: expected string to have <=5000 characters`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/**
 * SPEC §5 on a payload, before its schema: lone surrogates become U+FFFD, and a string holding
 * U+0000 anywhere is refused with the fields named (`content: must not contain ...`).
 */
export function wellFormedPayload(payload: Record<string, unknown>): { ok: true; payload: Record<string, unknown> } | { ok: false; message: string } {
  const { value, nul } = cleanText(payload);
  if (nul.length === 0) return { ok: true, payload: value };
  return { ok: false, message: nul.slice(0, 5).map((path) => `${describePath(path)}: ${NUL_MESSAGE}`).join('; ') };
}
