import type { Envelope } from '../../../events.js';

/** The plain envelope of SPEC §5, for n8n, Zapier, Make and custom receivers. */
export function renderJson(envelope: Envelope): string {
  return JSON.stringify(envelope);
}
