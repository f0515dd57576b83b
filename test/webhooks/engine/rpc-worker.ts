import { parentPort, threadId, workerData } from 'node:worker_threads';
import { NotFoundError, TooManyAttemptsError, ValidationError } from '../../../src/webhooks/api/errors.js';
import { BlockedAddressError } from '../../../src/webhooks/http/address-guard.js';
import { serve } from '../../../src/webhooks/thread/rpc.js';

/** What the worker of rpc.test.ts serves: plain values back, and each kind of error thrown. */
export interface RpcFixture {
  echo<T>(value: T): Promise<T>;
  threadId(): Promise<number>;
  fail(kind: FailureKind): Promise<never>;
  /** Never answers: for a worker that dies while a call waits. */
  hang(): Promise<never>;
}

export type FailureKind = 'not-found' | 'validation' | 'too-many' | 'blocked' | 'coded' | 'string';
export const failureKinds: FailureKind[] = ['not-found', 'validation', 'too-many', 'blocked', 'coded', 'string'];
export const fixtureMethods = ['echo', 'threadId', 'fail', 'hang'] as const;

/** The errors, thrown the same way inline and in the worker. */
export function failure(kind: FailureKind): unknown {
  switch (kind) {
    case 'not-found':
      return new NotFoundError('Delivery not found');
    case 'validation':
      return new ValidationError({ since: ['must not be after until'], until: ['must be an ISO 8601 date-time'] });
    case 'too-many':
      return new TooManyAttemptsError(42);
    case 'blocked':
      return new BlockedAddressError('intranet.example', '10.0.0.7', 'a private');
    case 'coded':
      return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306', { cause: new Error('socket closed') }), { code: 'ECONNREFUSED', errno: -111 });
    case 'string':
      return 'a bare string';
  }
}

export const fixture: RpcFixture = {
  echo: async (value) => value,
  threadId: async () => threadId,
  fail: async (kind) => {
    throw failure(kind);
  },
  hang: () => new Promise<never>(() => {}),
};

// Imported by the test too (for `failure`): only the worker started with this mark serves.
export const fixtureMark = 'rpc-fixture';
if (parentPort && workerData === fixtureMark) serve<RpcFixture>(parentPort, fixture, fixtureMethods);
