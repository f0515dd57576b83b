import { apiClient } from '../support/api.js';
import { startBadReceiver, type Misbehaviour } from '../support/bad-receiver.js';
import type { ScenarioFigures } from '../support/figures.js';
import { ChaosStack, TEST_API_KEY } from '../support/stack.js';

/** What the delivery log must say about each misbehaviour. */
export const expectedCause: Record<Misbehaviour, { cause: string; status: number | null; note: string }> = {
  hang: { cause: 'timeout', status: null, note: 'never answers' },
  reset: { cause: 'connection', status: null, note: 'TCP reset after the request' },
  'slow-head': { cause: 'timeout', status: null, note: 'status line dripped one byte per 250 ms' },
  // Once a 2xx status line is in, the receiver has decided: a body that then crawls is cut at the
  // timeout and noted, not retried (a retry would deliver twice).
  'slow-body': { cause: 'ok', status: 200, note: '200, then the body one byte per 100 ms' },
  gigabyte: { cause: 'ok', status: 200, note: '200 with a 1 GiB body' },
  'huge-headers': { cause: 'invalid_response', status: null, note: 'a 256 KiB header' },
  'redirect-metadata': { cause: 'redirect', status: 302, note: '302 to http://169.254.169.254/...' },
  'redirect-local': { cause: 'redirect', status: 307, note: '307 to another local path' },
  garbage: { cause: 'invalid_response', status: null, note: 'not HTTP at all' },
  'bad-status': { cause: 'invalid_response', status: 999, note: 'status 999' },
};

export interface MisbehaviourRow {
  behaviour: Misbehaviour;
  cause: string;
  statusCode: number | null;
  durationMs: number;
  logCause: string | null;
  responseBodyBytes: number;
}

/**
 * Receiver misbehaviour: one webhook per way a receiver can misbehave, each sent a test delivery.
 * Each attempt must end within the timeout, be classified as `expectedCause` in the answer and in
 * the stored attempt, store at most 64 KiB of body, and leave the server's peak memory (VmHWM)
 * within a bound that a gigabyte body read into memory would blow.
 */
export async function receiverMisbehaviour(): Promise<ScenarioFigures & { rows: MisbehaviourRow[] }> {
  const timeoutMs = 1500;
  const stack = await ChaosStack.create();
  const bad = await startBadReceiver();
  const problems: string[] = [];
  const rows: MisbehaviourRow[] = [];
  try {
    const server = await stack.server('receivers', { WEBHOOK_TIMEOUT_MS: String(timeoutMs) });
    await server.start();
    const api = apiClient(server.url, TEST_API_KEY);
    const peakBefore = server.peakRss();

    for (const behaviour of Object.keys(expectedCause) as Misbehaviour[]) {
      const expected = expectedCause[behaviour];
      const id = await api.createWebhook({ name: behaviour, url: bad.url(behaviour), events: ['message.received'] });
      const started = Date.now();
      const res = await api.request('POST', `/webhooks/${id}/test`);
      const wall = Date.now() - started;
      if (res.status !== 200) {
        problems.push(`${behaviour}: test action answered ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        continue;
      }
      const attempt = res.body.data as { delivery_id: string; cause: string; status_code: number | null; duration_ms: number; success: boolean };
      const detail = await api.request('GET', `/webhooks/${id}/deliveries/${attempt.delivery_id}`);
      const logged = detail.body?.data?.attempts?.[0] as { cause?: string; response_body?: string | null } | undefined;
      const bodyBytes = Buffer.byteLength(logged?.response_body ?? '', 'utf8');
      rows.push({ behaviour, cause: attempt.cause, statusCode: attempt.status_code, durationMs: attempt.duration_ms, logCause: logged?.cause ?? null, responseBodyBytes: bodyBytes });

      if (attempt.cause !== expected.cause) problems.push(`${behaviour}: classified ${attempt.cause}, expected ${expected.cause}`);
      if ((logged?.cause ?? null) !== attempt.cause) problems.push(`${behaviour}: the delivery log says ${logged?.cause}, the answer ${attempt.cause}`);
      if (attempt.status_code !== expected.status) problems.push(`${behaviour}: status ${attempt.status_code}, expected ${expected.status}`);
      if (wall > timeoutMs + 2000) problems.push(`${behaviour}: the attempt took ${wall} ms with a ${timeoutMs} ms timeout`);
      if (bodyBytes > 64 * 1024) problems.push(`${behaviour}: ${bodyBytes} bytes of response body stored (cap 64 KiB)`);
    }

    const peakAfter = server.peakRss();
    const growth = peakAfter - peakBefore;
    if (bad.gigabyteBytesWritten > 32 * 1024 * 1024) problems.push(`the sender read ${bad.gigabyteBytesWritten} bytes of the gigabyte body before hanging up`);
    if (growth > 128 * 1024 * 1024) problems.push(`peak RSS grew by ${Math.round(growth / 1048576)} MiB`);
    if (bad.redirectTargetHits > 0) problems.push('a redirect was followed');
    if (!server.running) problems.push('the server died');

    return {
      scenario: 'Receiver misbehaviour',
      sent: 0,
      acknowledged: 0,
      delivered: 0,
      lost: 0,
      duplicates: 0,
      faults: rows.length,
      details: {
        'gigabyte body bytes sent before hang-up': bad.gigabyteBytesWritten,
        'peak RSS before MiB': Math.round(peakBefore / 1048576),
        'peak RSS after MiB': Math.round(peakAfter / 1048576),
        'redirects followed': bad.redirectTargetHits,
      },
      problems,
      rows,
    };
  } finally {
    await bad.close();
    await stack.dispose();
  }
}
