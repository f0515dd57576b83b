import { sampleEnvelope } from './events.js';
import { benchGot } from './http.js';
import { closedLoop } from './load.js';

/**
 * The ceiling of delivery throughput: got POSTs of an envelope-sized body per second to `url`,
 * `concurrency` in flight, no database at all. Nothing that also writes rows can beat it.
 */
export async function measureCeiling(url: string, concurrency: number, seconds: number): Promise<number> {
  const { got, close } = benchGot(concurrency);
  try {
    const { body } = sampleEnvelope(1);
    const post = async () => {
      await got.post(url, { body, headers: { 'content-type': 'application/json' } });
    };
    await closedLoop(concurrency, 1000, post);
    const result = await closedLoop(concurrency, seconds * 1000, post);
    if (result.errors) throw new Error(`ceiling: ${result.errors} errors (${result.firstError})`);
    return result.done / result.seconds;
  } finally {
    close();
  }
}
