import cron from 'node-cron';
import type { Logger } from '../../logger.js';

/**
 * Calls `sweep` on the node-cron schedule. The schedule only triggers: all the work is in
 * `sweep` (the engine's sweepOnce), which tests call directly. A tick that finds the previous
 * sweep still running is skipped, so sweeps never overlap in one process.
 */
export function startSweeper(expression: string, sweep: () => Promise<unknown>, logger?: Logger): { stop(): Promise<void> } {
  let running = false;
  const task = cron.schedule(
    expression,
    async () => {
      if (running) return;
      running = true;
      try {
        await sweep();
      } catch (err) {
        logger?.error({ err }, 'webhook sweep failed');
      } finally {
        running = false;
      }
    },
    { name: 'webhook-sweeper', noOverlap: true },
  );
  return {
    stop: async () => {
      await task.destroy();
    },
  };
}
