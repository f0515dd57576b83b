import type { Sequelize, Transaction } from 'sequelize';
import type { HookPayload } from '../../hooks.js';
import { writeTransaction } from '../../db/write-queue.js';
import { insertEvent } from '../db/fan-out-events.js';

/**
 * The event outbox (thread mode): one row per chat event in the chat's transaction, whatever the
 * number of webhooks; no webhook read, no bodies rendered on the chat's thread. The delivery
 * worker fans the event out after the commit (or, if it was not told, at its next sweep).
 */
export class EventOutbox {
  constructor(
    private readonly sequelize: Sequelize,
    /** Told of each event once committed. */
    private readonly committed: (eventIds: number[]) => void,
  ) {}

  async enqueue(payload: HookPayload, transaction?: Transaction): Promise<void> {
    if (!transaction) {
      const id = await writeTransaction(this.sequelize, (t) => insertEvent(this.sequelize, payload, t));
      this.committed([id]);
      return;
    }
    const id = await insertEvent(this.sequelize, payload, transaction);
    transaction.afterCommit(() => this.committed([id]));
  }
}
