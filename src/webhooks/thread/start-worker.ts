import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `entry` (a URL ending in .js or .ts). A .ts module (tests, tsx) is loaded
 * through tsx, since a worker does not inherit the loader of the thread that starts it.
 */
export function startWorker(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  const bootstrap = `import('tsx/esm/api').then((tsx) => tsx.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(entry.href)}))`;
  return new Worker(bootstrap, { eval: true, workerData });
}
