import type { Sequelize } from 'sequelize';

/**
 * The delivery table's rows as the engine reads and writes them, shared by the one-operation
 * modules beside this one (insert, claim, record attempts, requeue, release).
 * Reads for the API live in delivery-logs.ts.
 *
 * A claim is a lease: `lease_owner` names the claim and `next_attempt_at` moves to the lease's
 * expiry, so a row whose sender died becomes due again by itself and the claim stays a range scan
 * on (status, next_attempt_at). Completing an attempt checks `lease_owner`, so a stale sender can
 * never overwrite a row another process has claimed since.
 */

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface NewDelivery {
  deliveryId: string;
  webhookId: number;
  event: string;
  /** The exact bytes every attempt sends. */
  body: string;
  isTest: boolean;
  /** The conversation whose order the row keeps (see order.ts); absent outside that order. */
  conversationId?: number | null;
  createdAt: Date;
  /** When the first attempt is due (normally createdAt). */
  nextAttemptAt: Date;
  /** Insert already claimed (a test delivery sent at once). */
  lease?: { owner: string; until: Date };
}

/** A claimed row: what a sender needs. */
export interface ClaimedDelivery {
  id: number;
  deliveryId: string;
  webhookId: number;
  event: string;
  body: string;
  isTest: boolean;
  /** Attempts made before this claim. */
  attemptNumber: number;
  retryBase: number;
  createdAt: Date;
  leaseOwner: string;
}

/** What an attempt turns the delivery into. */
export interface DeliveryUpdate {
  status: DeliveryStatus;
  /** For pending: when the next attempt is due. */
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  /** Set by the record when this attempt ended its conversation's head and the next row became due. */
  releasedNext?: boolean;
}

/** The delivery as it stands when the attempt is recorded (a redeliver may have moved retry_base meanwhile). */
export interface DeliveryState {
  attemptNumber: number;
  retryBase: number;
  isTest: boolean;
}

export const isMysql = (sequelize: Sequelize) => sequelize.getDialect() !== 'sqlite';

/** Claims take in-process slots as they go, so a deadlock victim must fail, not run again. */
export const engineTransaction = { retryDeadlocks: false };
