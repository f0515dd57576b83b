import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, without having to start node with --expose-gc: heap figures taken
 * after it show what is retained, not what is merely not yet collected.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

/** V8 heap in use after a full collection, in bytes. */
export function retainedHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}
