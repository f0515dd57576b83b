import { Agent } from 'node:http';
import got, { type Got } from 'got';

/**
 * The got instance of the ceiling and the naive queue: keep-alive sockets (as many as requests in
 * flight), no retries, no redirects, status codes returned rather than thrown — the settings a
 * webhook sender needs, with nothing else on the path.
 */
export function benchGot(concurrency: number): { got: Got; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  return {
    got: got.extend({ agent: { http: agent }, retry: { limit: 0 }, throwHttpErrors: false, followRedirect: false, timeout: { request: 10_000 } }),
    close: () => agent.destroy(),
  };
}
