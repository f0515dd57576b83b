import dns from 'node:dns';
import { blockedAddressReason, isAllowListed, parseIp } from './address-guard.js';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** How long creation waits for DNS before calling the host unresolvable. */
const RESOLVE_TIMEOUT_MS = 5000;

/** Names that reach the server itself or a cloud metadata service whatever DNS says. */
function isInternalName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === 'metadata.google.internal' || host === 'metadata.goog';
}

const allowHint = 'refused unless listed in WEBHOOK_ALLOWED_HOSTS';

/**
 * A local receiver needs both variables; naming only the first costs the user a second failed try
 * and a second restart, so the http refusal names the other one too when this host needs it.
 */
function localReceiverHint(hostname: string, allowList: readonly string[]): string {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const local = parseIp(host) !== null ? blockedAddressReason(host) !== null : isInternalName(host);
  if (!local || isAllowListed(host, null, allowList)) return '';
  return ` Host ${host} must also be listed in WEBHOOK_ALLOWED_HOSTS: for a local receiver start the server with WEBHOOK_ALLOW_HTTP=true WEBHOOK_ALLOWED_HOSTS=${host}.`;
}

export interface UrlRuleOptions {
  allowHttp: boolean;
  allowList: readonly string[];
  /** Every address a hostname resolves to; defaults to the system resolver (dns.lookup). */
  resolve?: (host: string) => Promise<string[]>;
}

async function systemResolve(host: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('DNS timeout')), RESOLVE_TIMEOUT_MS);
    timer.unref();
  });
  try {
    const answers = await Promise.race([dns.promises.lookup(host, { all: true, verbatim: true }), timeout]);
    return answers.map((a) => a.address);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks a webhook URL at create/update time (SPEC §8) and returns readable messages, [] when valid.
 * The sender checks the resolved address again on every attempt; this is the early, friendly refusal.
 */
export async function validateWebhookUrl(raw: string, options: UrlRuleOptions): Promise<string[]> {
  if (typeof raw !== 'string' || raw.trim() === '') return ['URL is required.'];
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return [`URL must be at most ${MAX_WEBHOOK_URL_LENGTH} characters.`];
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return ['URL must be absolute, e.g. https://example.com/webhook.'];
  }

  const errors: string[] = [];
  if (url.protocol === 'http:' && !options.allowHttp) {
    errors.push('URL must use https:// (http:// is accepted only when WEBHOOK_ALLOW_HTTP=true).' + localReceiverHint(url.hostname, options.allowList));
  } else if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    errors.push(options.allowHttp ? 'URL must use http:// or https://.' : 'URL must use https://.');
  }
  if (url.username !== '' || url.password !== '') errors.push('URL must not contain a username or password.');
  if (errors.length > 0 || url.hostname === '') return errors.length > 0 ? errors : ['URL must name a host.'];

  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const { allowList } = options;
  if (parseIp(host) !== null) {
    const reason = blockedAddressReason(host);
    if (reason !== null && !isAllowListed(host, null, allowList)) {
      return [`Host ${host} is ${reason} address; private, loopback, link-local and metadata addresses are ${allowHint}.`];
    }
    return [];
  }
  if (isInternalName(host) && !isAllowListed(host, null, allowList)) {
    return [`Host ${host} is an internal name; it is ${allowHint}.`];
  }

  let addresses: string[];
  try {
    addresses = await (options.resolve ?? systemResolve)(host);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) return [`Host ${host} does not resolve.`];
  if (isAllowListed(host, null, allowList)) return [];
  for (const address of addresses) {
    const reason = blockedAddressReason(address);
    if (reason !== null && !isAllowListed(host, address, allowList)) {
      return [`Host ${host} resolves to ${address}, ${reason} address; such addresses are ${allowHint}.`];
    }
  }
  return [];
}
